import t from 'tap';
import {
  createHistogram,
  encodeHistogram,
  histogramBuckets,
  mergeHistograms,
  recordLatency,
  summarizeLatency,
} from '../../src/load/histogram.js';

t.test('latencies are kept in microseconds and summarized in milliseconds', async (t) => {
  const histogram = createHistogram();
  for (let ms = 1; ms <= 100; ms++) recordLatency(histogram, ms);
  const summary = summarizeLatency(histogram);
  t.equal(summary.min, 1);
  t.equal(summary.max, 100.031, "the slowest call's bucket bound (3 significant digits), as p99's is");
  t.equal(summary.p50, 50.015);
  t.equal(summary.p99, 99.007);
  t.ok(Math.abs(summary.mean - 50.5) < 0.1);
});

t.test('a summary reads the same after its histogram was encoded and merged, again and again', async (t) => {
  const histogram = createHistogram();
  for (const ms of [0.25, 3.5, 42.88, 42.9]) recordLatency(histogram, ms);
  const once = mergeHistograms([encodeHistogram(histogram)]);
  const twice = mergeHistograms([encodeHistogram(once)]);
  t.same(summarizeLatency(twice), summarizeLatency(once));
  t.same(summarizeLatency(once), summarizeLatency(histogram));
  t.same(histogramBuckets(twice), histogramBuckets(histogram));
  t.equal(summarizeLatency(histogram).max, 42.911, 'the bucket of 42.88 and 42.9 ms ends at 42.911');
});

t.test('the same calls encode to the same text, whatever order they were recorded and merged in', async (t) => {
  const values = [0.3, 2, 17, 900, 45_000, 7, 1.5];
  const live = createHistogram();
  for (const ms of values) recordLatency(live, ms);
  const one = (ms: number): string => {
    const histogram = createHistogram();
    recordLatency(histogram, ms);
    return encodeHistogram(histogram);
  };
  const forward = encodeHistogram(mergeHistograms(values.map(one)));
  const backward = encodeHistogram(mergeHistograms([...values].reverse().map(one)));
  const inSteps = encodeHistogram(mergeHistograms([encodeHistogram(mergeHistograms(values.slice(0, 3).map(one))), ...values.slice(3).map(one)]));
  t.equal(forward, encodeHistogram(live));
  t.equal(backward, forward);
  t.equal(inSteps, forward);
});

t.test('an empty histogram summarizes to zeros and draws no buckets', async (t) => {
  const histogram = createHistogram();
  t.same(summarizeLatency(histogram), { min: 0, mean: 0, stdDev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  t.same(histogramBuckets(histogram), []);
});

t.test('a sub-microsecond latency is recorded as one microsecond', async (t) => {
  const histogram = createHistogram();
  recordLatency(histogram, 0.0001);
  t.equal(summarizeLatency(histogram).min, 0.001);
});

t.test('merging encoded histograms is exact: the same as one histogram of every value', async (t) => {
  const all = createHistogram();
  const parts = [createHistogram(), createHistogram(), createHistogram()];
  for (let i = 0; i < 3000; i++) {
    const ms = (i * 7919) % 997;
    recordLatency(all, ms);
    recordLatency(parts[i % 3]!, ms);
  }
  const merged = mergeHistograms(parts.map(encodeHistogram));
  t.equal(merged.totalCount, 3000);
  t.same(summarizeLatency(merged), summarizeLatency(mergeHistograms([encodeHistogram(all)])));
});

t.test('the histogram view spreads every call over equal-width buckets from fastest to slowest', async (t) => {
  const histogram = createHistogram();
  for (let ms = 1; ms <= 10; ms++) recordLatency(histogram, ms);
  const buckets = histogramBuckets(histogram, 5);
  t.equal(buckets.length, 5);
  t.equal(buckets.reduce((n, b) => n + b.count, 0), 10);
  t.equal(buckets.at(-1)!.mark, summarizeLatency(histogram).max);
  t.equal(buckets.reduce((n, b) => n + b.frequency, 0), 1);
});
