// Latency recording with HdrHistogram (hdr-histogram-js), in microseconds at 3
// significant digits. We use the library's plain-JS build, not its WebAssembly
// one: WASM records ~4x faster (≈50 ns against ≈200 ns per value on the bench
// machine), but that is well under 1 % of what one gRPC call costs the client,
// while WASM needs an async init in every thread and a manual destroy() for
// each histogram (its memory is not garbage-collected). Histograms cross
// thread boundaries in HdrHistogram's compressed encoding, so merging the
// workers' histograms is exact.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

const SIGNIFICANT_DIGITS = 3;

export function createHistogram(): Histogram {
  return hdr.build({ numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true });
}

/** Records a latency in milliseconds (stored as whole microseconds, at least 1). */
export function recordLatency(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/**
 * HdrHistogram's compressed encoding, made canonical: the encoding's header carries the histogram's trackable
 * range, which autoResize grows with the order values and merges came in, so the same calls could encode to
 * different texts. Sized to its slowest bucket first, a histogram encodes the same however it was filled.
 */
export function encodeHistogram(histogram: Histogram): string {
  const canonical = hdr.build({
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    autoResize: true,
    highestTrackableValue: Math.max(2, extremesUs(histogram).max),
  });
  canonical.add(histogram);
  return hdr.encodeIntoCompressedBase64(canonical);
}

/** One histogram holding every value of the encoded ones. */
export function mergeHistograms(encoded: readonly string[]): Histogram {
  const merged = createHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text));
  return merged;
}

export interface LatencySummaryMs {
  readonly min: number;
  readonly mean: number;
  readonly stdDev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

const toMs = (us: number): number => Math.round(us) / 1000;

/**
 * The fastest and slowest call (µs) as their buckets' bounds, as for every percentile: the same calls then read
 * the same however often their histogram was encoded and merged (the exact extremes do not survive the encoding).
 */
export function extremesUs(histogram: Histogram): { readonly min: number; readonly max: number } {
  if (histogram.totalCount === 0) return { min: 0, max: 0 };
  return { min: histogram.getValueAtPercentile(0), max: histogram.getValueAtPercentile(100) };
}

export function summarizeLatency(histogram: Histogram): LatencySummaryMs {
  const at = (percentile: number): number => toMs(histogram.getValueAtPercentile(percentile));
  const { min, max } = extremesUs(histogram);
  return {
    min: toMs(min),
    mean: toMs(histogram.mean),
    stdDev: toMs(histogram.stdDeviation),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: toMs(max),
  };
}

export interface HistogramBucket {
  /** Upper bound of the bucket, in milliseconds. */
  readonly mark: number;
  readonly count: number;
  /** Share of all calls in this bucket, 0 to 1. */
  readonly frequency: number;
}

/** `buckets` equal-width buckets from the fastest call to the slowest (as ghz draws them). */
export function histogramBuckets(histogram: Histogram, buckets = 10): HistogramBucket[] {
  const total = histogram.totalCount;
  if (total === 0) return [];
  const { min, max } = extremesUs(histogram);
  const width = Math.max(1, (max - min) / buckets);
  const counts = new Array<number>(buckets).fill(0);
  // Every recorded value (with its count), from the JS build's iterator.
  const values = (histogram as hdr.JsHistogram).recordedValuesIterator;
  values.reset();
  while (values.hasNext()) {
    const value = values.next();
    const index = Math.min(buckets - 1, Math.floor((value.valueIteratedTo - min) / width));
    counts[index] = (counts[index] as number) + value.countAtValueIteratedTo;
  }
  return counts.map((count, i) => ({ mark: toMs(min + width * (i + 1)), count, frequency: count / total }));
}
