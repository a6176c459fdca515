import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { mergeHistograms } from '../../src/load/histogram.js';
import { mergeTimelines, Timeline } from '../../src/load/timeline.js';

/** performance.now() time of `ms` milliseconds into Unix second `second`. */
const at = (second: number, ms = 0): number => second * 1000 + ms - performance.timeOrigin;
const BASE = Math.floor(Date.now() / 1000);
const count = (encoded: string): number => mergeHistograms([encoded]).totalCount;

t.test('calls are filed by the wall-clock second they started and the one they completed in', async (t) => {
  const timeline = new Timeline();
  timeline.record(grpc.status.OK, 900, at(BASE, 500), at(BASE + 1, 400));
  timeline.record(grpc.status.UNAVAILABLE, 5, at(BASE + 1, 100), at(BASE + 1, 105));
  timeline.record(grpc.status.OK, 2, at(BASE + 3, 0), at(BASE + 3, 2));
  // Started before every call recorded so far (calls complete out of order): the series grows at the front.
  timeline.record(grpc.status.DEADLINE_EXCEEDED, 3500, at(BASE - 1, 0), at(BASE + 3, 500));
  const series = timeline.snapshot();
  t.same(series.map((s) => s.second), [BASE - 1, BASE, BASE + 1, BASE + 2, BASE + 3], 'every second from the first to the last, gaps as zeros');
  t.same(series.map((s) => s.started), [1, 1, 1, 0, 1]);
  t.same(series.map((s) => s.completed), [0, 0, 2, 0, 2]);
  t.same(series.map((s) => s.errors), [{}, {}, { UNAVAILABLE: 1 }, {}, { DEADLINE_EXCEEDED: 1 }]);
  t.same(series.map((s) => count(s.histogram)), [0, 0, 2, 0, 2], "each second's histogram holds its completions");
  t.equal(mergeHistograms([series[4]!.histogram]).maxValue >= 3_500_000, true, 'latencies in µs');
});

t.test('series from several threads or processes merge on their wall-clock seconds', async (t) => {
  const a = new Timeline();
  const b = new Timeline();
  a.record(grpc.status.OK, 1, at(BASE), at(BASE, 1));
  a.record(grpc.status.OK, 1, at(BASE + 1), at(BASE + 1, 1));
  b.record(grpc.status.INTERNAL, 1, at(BASE + 1), at(BASE + 1, 1));
  b.record(grpc.status.OK, 1, at(BASE + 4), at(BASE + 4, 1));
  const merged = mergeTimelines([a.snapshot(), b.snapshot()]);
  t.same(merged.map((s) => [s.second - BASE, s.started, s.completed, count(s.histogram)]), [[0, 1, 1, 1], [1, 2, 2, 2], [2, 0, 0, 0], [3, 0, 0, 0], [4, 1, 1, 1]]);
  t.same(merged[1]!.errors, { INTERNAL: 1 });
  t.same(mergeTimelines([b.snapshot(), a.snapshot()]), merged, 'in any order');
  t.same(mergeTimelines([]), []);
});

t.test('each second says how much of it the calls covered: the first and last in part, the others whole', async (t) => {
  const timeline = new Timeline();
  timeline.record(grpc.status.OK, 1, at(BASE, 700), at(BASE, 701));
  timeline.record(grpc.status.OK, 1, at(BASE + 1, 500), at(BASE + 2, 250));
  t.same(timeline.snapshot().map((s) => s.coveredMs), [300, 1000, 250]);
  const short = new Timeline();
  short.record(grpc.status.OK, 1, at(BASE, 100), at(BASE, 750));
  t.same(short.snapshot().map((s) => s.coveredMs), [650], 'a run within one second covers its part of it');
  const later = new Timeline();
  later.record(grpc.status.OK, 1, at(BASE + 4, 900), at(BASE + 4, 950));
  t.same(mergeTimelines([timeline.snapshot(), later.snapshot()]).map((s) => s.coveredMs), [300, 1000, 250, 1000, 50], 'merged: the longest coverage of each second; a gap is whole');
});
