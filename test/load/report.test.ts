import t from 'tap';
import { DEFAULTS, type LoadPlan } from '../../src/load/plan.js';
import { buildReport, formatReport } from '../../src/load/report.js';
import { Tally } from '../../src/load/tally.js';

const plan: LoadPlan = { ...DEFAULTS, target: 'example:443', connection: { insecure: false }, shape: 'unary', stop: { total: 10 }, rps: 100 };
const empty = { tally: new Tally().snapshot(), warmupCalls: 0, elapsedMs: 0, startSpanMs: 0, maxStartLagMs: 0, interrupted: true };

t.test('a run that completed no call reports zeros, and fails every gate', async (t) => {
  const report = buildReport(plan, empty, { errorRate: 0.5, p99Ms: 100 }, new Date('2026-01-01T00:00:00Z'));
  t.match(report, { date: '2026-01-01T00:00:00.000Z', count: 0, rps: 0, errorRate: 0, endReason: 'interrupted', histogram: [] });
  t.same(report.rate, { askedRps: 100, achievedRps: 0, shortfall: 1, maxStartLagMs: 0 });
  t.same(report.gates.map((g) => g.passed), [false, false]);
  const text = formatReport(report);
  t.match(text, /INTERRUPTED \(partial report\)/);
  t.match(text, /FAIL {2}p99 0 ms \(limit 100 ms\)/);
  t.notMatch(text, /Latency histogram/);
  t.notMatch(text, /Errors:/);
});
