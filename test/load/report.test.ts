import t from 'tap';
import { DEFAULTS, type LoadPlan } from '../../src/load/plan.js';
import { buildReport, formatReport } from '../../src/load/report.js';
import { Tally } from '../../src/load/tally.js';

const plan: LoadPlan = { ...DEFAULTS, target: 'example:443', connection: { insecure: false }, shape: 'unary', stop: { total: 10 }, rps: 100 };
const empty = { tally: new Tally().snapshot(), warmupCalls: 0, elapsedMs: 0, startSpanMs: 0, maxStartLagMs: 0, interrupted: true, usage: { cpuMs: 0, wallMs: 0, threads: [] } };

t.test('a run that completed no call reports zeros, and fails every gate', async (t) => {
  const report = buildReport(plan, empty, { errorRate: 0.5, p99Ms: 100 }, new Date('2026-01-01T00:00:00Z'));
  t.match(report, { date: '2026-01-01T00:00:00.000Z', count: 0, rps: 0, errorRate: 0, endReason: 'interrupted', histogram: [] });
  t.same(report.rate, { askedRps: 100, achievedRps: 0, shortfall: 1, maxStartLagMs: 0, startSpanMs: 0 });
  t.same(report.gates.map((g) => g.passed), [false, false]);
  const text = formatReport(report);
  t.match(text, /INTERRUPTED \(partial report\)/);
  t.match(text, /FAIL {2}p99 0 ms \(limit 100 ms\)/);
  t.notMatch(text, /Latency histogram/);
  t.notMatch(text, /Errors:/);
});

const ran = (threads: { eventLoopUtilization: number; cpuCores: number | null; waitingCores: number | null }[]) => ({
  ...empty,
  interrupted: false,
  tally: (() => {
    const tally = new Tally();
    for (let i = 0; i < 10; i++) tally.record({ code: 0, details: '', sent: 1, received: 1 }, 1);
    return tally.snapshot();
  })(),
  warmupCalls: 10,
  elapsedMs: 1000,
  usage: { cpuMs: 40, wallMs: 2000, threads },
});

t.test("the generator's own cost is in every report: CPU per call (warm-up included), cores, each thread's load", async (t) => {
  const report = buildReport(plan, ran([{ eventLoopUtilization: 0.31, cpuCores: 0.02, waitingCores: 0.01 }]), {});
  t.same(report.generator, {
    driver: 'http2', cpuMs: 40, cpuUsPerCall: 2000, wallMs: 2000, coresUsed: 0.02, threads: [{ eventLoopUtilization: 0.31, cpuCores: 0.02, waitingCores: 0.01 }], saturated: false,
  });
  const text = formatReport(report);
  t.match(text, /Generator: +http2 driver, 2000 µs CPU per call, 0\.02 cores; event loop busy 0\.31; thread CPU 0\.02 cores, waiting for a CPU 0\.01/);
  t.notMatch(text, /bottleneck/);
});

t.test('a thread busy, or waiting for a CPU, 90 % of the run makes the report say the generator was the bottleneck', async (t) => {
  const threads = [
    { eventLoopUtilization: 0.95, cpuCores: 0.5, waitingCores: 0 },
    { eventLoopUtilization: 0.5, cpuCores: 0.92, waitingCores: 0 },
    { eventLoopUtilization: 0.3, cpuCores: 0.3, waitingCores: 0.65 }, // starved by other work on its CPU
    { eventLoopUtilization: 0.9, cpuCores: null, waitingCores: null },
  ];
  for (const thread of threads) {
    const report = buildReport({ ...plan, workers: 2 }, ran([{ eventLoopUtilization: 0.2, cpuCores: 0.2, waitingCores: 0 }, thread]), {});
    t.equal(report.generator.saturated, true);
    t.match(formatReport(report), /the load generator was the bottleneck.*\n.*Add --workers or machines/);
  }
});
