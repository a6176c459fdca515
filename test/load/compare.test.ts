// The regression gate's rule on several runs a side: a change of the medians beyond the limit trips it only
// when it is also beyond either side's spread; one run a side has no spread.
import t from 'tap';
import { compareReports } from '../../src/load/compare.js';
import type { LoadReport } from '../../src/load/report.js';

/** A report with only what compare reads. */
const run = (rps: number, p99: number): LoadReport =>
  ({ rps, errorRate: 0, latencyMs: { p50: p99 / 2, p90: p99, p99, p999: p99 }, generator: { saturated: false } }) as unknown as LoadReport;

t.test('medians that differ by more than the limit and the spread are a regression', async (t) => {
  const base = [run(100, 10), run(102, 10.4), run(98, 9.8)];
  const slower = [run(78, 13), run(77, 13.2), run(79, 12.9)];
  t.same(compareReports(base, slower, [], 0.1).regressions, [
    "p99 10 ms → 13 ms, more than 10 % slower and by more than the runs' spread (0.6)",
    "throughput 100 → 78 calls/s, more than 10 % lower and by more than the runs' spread (4)",
  ]);
});

t.test('a change beyond the limit but within a side\'s spread is noise', async (t) => {
  const base = [run(100, 10), run(70, 14), run(95, 10.5)];
  const next = [run(85, 12), run(86, 12.1), run(84, 11.9)];
  t.same(compareReports(base, next, [], 0.1).regressions, []);
});

t.test('from five runs the spread is the interquartile range: one disturbed run does not hide a change', async (t) => {
  const base = [run(100, 10), run(101, 10.1), run(99, 9.9), run(100, 10), run(40, 40)];
  const slower = [run(75, 13), run(76, 13.1), run(74, 12.9), run(75, 13), run(75, 13)];
  const { regressions, figures } = compareReports(base, slower, [], 0.1);
  t.equal(regressions.length, 2);
  t.equal(figures.find((f) => f.figure === 'p99 ms')?.baseSpread, 0.1, 'the disturbed run (40 ms) is outside the middle half');
});

t.test('one run a side: any change beyond the limit trips it', async (t) => {
  t.equal(compareReports([run(100, 10)], [run(100, 11.5)], [], 0.1).regressions.length, 1);
  t.same(compareReports([run(100, 10)], [run(100, 10.5)], [], 0.1).regressions, []);
});
