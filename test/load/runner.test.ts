import t from 'tap';
import { DEFAULTS, type LoadPlan } from '../../src/load/plan.js';
import { openLoad } from '../../src/load/runner.js';
import { eventually, startServer } from '../helpers/server.js';

const plan = (target: string, overrides: Partial<LoadPlan>): LoadPlan => ({
  ...DEFAULTS,
  target,
  connection: { insecure: true },
  shape: 'unary',
  stop: { durationMs: 60_000 },
  rps: undefined,
  ...overrides,
});

t.test('stop() ends the run at once; calls cut short are cancelled and left out', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  // Streams of 1000 replies 10 ms apart: none can finish before we stop.
  const load = await openLoad(plan(address, { shape: 'server', concurrency: 3, replies: 1000, intervalMs: 10 }));
  t.teardown(() => load.close());
  const run = load.start();
  await eventually(() => logs.filter((l) => l.message.startsWith('Greeter listening')).length === 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(run.progress(), { phase: 'measure', calls: 0, errors: 0 });
  run.stop();
  const result = await run.finished;
  t.equal(result.interrupted, true);
  t.equal(result.tally.calls, 0);
  await eventually(() => logs.filter((l) => l.method === '/helloworld.Greeter/LotsOfReplies').length === 3, 5000, 'three access-log lines');
  t.ok(logs.filter((l) => l.method === '/helloworld.Greeter/LotsOfReplies').every((l) => l.code === 'CANCELLED'), 'the server saw them cancelled');
});

t.test('progress() counts measured calls as they finish', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const load = await openLoad(plan(address, { concurrency: 2 }));
  t.teardown(() => load.close());
  const run = load.start();
  await eventually(() => run.progress().calls >= 20, 10_000, '20 calls');
  run.stop();
  const result = await run.finished;
  t.ok(result.tally.calls >= 20);
  t.equal(result.tally.errors, 0);
});

t.test('stopping during the warm-up skips the measured phase', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const load = await openLoad(plan(address, { warmupMs: 60_000 }));
  t.teardown(() => load.close());
  const run = load.start();
  await eventually(() => run.progress().phase === 'warmup');
  await new Promise((resolve) => setTimeout(resolve, 50));
  run.stop();
  const result = await run.finished;
  t.equal(result.tally.calls, 0);
  t.ok(result.warmupCalls > 0);
  t.equal(result.interrupted, true);
});
