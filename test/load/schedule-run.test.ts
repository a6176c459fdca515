// --load-schedule and --concurrency-schedule over a real socket: the server
// counts the calls that arrive in each step of the ramp (with the tolerance
// that timers and a shared machine need: counts, not timings, are checked).
import t, { type Test } from 'tap';
import { runJson } from '../cli/run-load.js';
import { INTEROP_PROTO, startRecordingServer, type Arrival } from './recording-server.js';

const UNARY = ['--call', 'grpc.testing.TestService/UnaryCall', ...INTEROP_PROTO];

/** Arrivals counted per `stepMs` from the first. */
function perStep(arrivals: readonly Arrival[], stepMs: number): number[] {
  const first = arrivals[0]?.at ?? 0;
  const counts: number[] = [];
  for (const { at } of arrivals) {
    const step = Math.floor((at - first) / stepMs);
    counts[step] = (counts[step] ?? 0) + 1;
  }
  return Array.from(counts, (n) => n ?? 0);
}

/** Within `slack` calls of what was asked, step by step. */
function near(t: Test, actual: number[], expected: number[], slack: number): void {
  t.equal(actual.length, expected.length, `${expected.length} steps (${actual.join(', ')})`);
  expected.forEach((n, i) => t.ok(Math.abs((actual[i] ?? 0) - n) <= slack, `step ${i}: ${actual[i]} calls, asked ${n} ± ${slack}`));
}

for (const workers of ['1', '2']) {
  t.test(`--load-schedule step reaches each step's rate (--workers ${workers})`, async (t) => {
    const server = await startRecordingServer(t);
    const { code, report } = await runJson(server.address, [
      ...UNARY, '-c', '10', '--connections', '2', '--workers', workers, '-z', '1500ms',
      '--load-schedule', 'step', '--load-start', '20', '--load-step', '20', '--load-step-duration', '500ms', '--load-end', '60',
    ]);
    t.equal(code, 0);
    t.equal(report.latencyMeasuredFrom, 'scheduled start');
    t.same(report.options.loadSchedule, { start: 20, step: 20, stepMs: 500, end: 60 });
    // 20/s, 40/s, 60/s for half a second each: 10, 20, 30 calls.
    near(t, perStep(server.unary, 500), [10, 20, 30], 3);
    t.ok(Math.abs(server.unary.length - 60) <= 2, `${server.unary.length} calls in all, asked 60`);
  });
}

t.test('--load-schedule line changes the rate by --load-step every second', async (t) => {
  const server = await startRecordingServer(t);
  const { code } = await runJson(server.address, [...UNARY, '-c', '10', '-z', '2s', '--load-schedule', 'line', '--load-start', '10', '--load-step', '20']);
  t.equal(code, 0);
  near(t, perStep(server.unary, 1000), [10, 30], 3);
});

t.test('--concurrency-schedule step puts more calls in flight at each step', async (t) => {
  // Every call takes 100 ms at the server, so the calls in flight show the slots the ramp admitted.
  const server = await startRecordingServer(t, 100);
  const { code, report } = await runJson(server.address, [
    ...UNARY, '--connections', '1', '-z', '1200ms',
    '--concurrency-schedule', 'step', '--concurrency-start', '1', '--concurrency-step', '2', '--concurrency-step-duration', '400ms', '--concurrency-end', '5',
  ]);
  t.equal(code, 0);
  t.equal(report.options.concurrency, 5, 'slots for the peak');
  const first = server.unary[0]?.at ?? 0;
  const peak = (from: number, to: number): number =>
    Math.max(...server.unary.filter((a) => a.at - first >= from && a.at - first < to).map((a) => a.inFlight));
  t.equal(peak(0, 380), 1, 'one call at a time in the first step');
  t.equal(peak(420, 780), 3, 'three in the second');
  t.equal(peak(820, 1150), 5, 'five in the third');
});
