import t from 'tap';
import { DEFAULTS, type LoadPlan } from '../../src/load/plan.js';
import { openLoop } from '../../src/load/schedule.js';
import { shares, splitPlan } from '../../src/load/workers.js';

const plan: LoadPlan = {
  ...DEFAULTS,
  target: '127.0.0.1:1',
  connection: { insecure: true },
  shape: 'unary',
  concurrency: 13,
  connections: 7,
  stop: { total: 601 },
  rps: 500,
  workers: 2,
};

const SHARDS = 3;
const everyPart = (): ReturnType<typeof splitPlan> =>
  Array.from({ length: SHARDS }, (_, index) => splitPlan({ ...plan, shard: { index, of: SHARDS } })).flat();

t.test('shards × workers: every thread of every shard has its own place, and the parts add up to the plan', async (t) => {
  const parts = everyPart();
  t.same(parts.map((p) => p.share), parts.map((_, index) => ({ index, of: SHARDS * plan.workers })), 'thread w of shard s is thread s × workers + w');
  const totals = parts.map((p) => (p.plan.stop as { total: number }).total);
  t.same(totals, shares(601, 6), 'thread i makes ceil((n - i) / threads) calls');
  t.same(totals, totals.map((_, i) => Math.ceil((601 - i) / 6)));
  t.equal(parts.reduce((n, p) => n + p.plan.concurrency, 0), 13);
  t.equal(parts.reduce((n, p) => n + p.plan.connections, 0), 7);
  t.ok(parts.every((p) => p.plan.workers === 1 && p.plan.rps === 500), 'each thread takes its share of the whole rate through its place');
});

t.test("the open-loop schedules of all shards' threads interleave into the plan's one timetable, each due time once", async (t) => {
  const spacingMs = 1000 / (plan.rps as number);
  // A timetable that started long ago: every due time is past, so next() answers at once.
  const startsAt = performance.now() - 10_000_000;
  const due: number[] = [];
  for (const { plan: part, share } of everyPart()) {
    const schedule = openLoop(part.rps as number, share, { total: (part.stop as { total: number }).total }, startsAt);
    for (let at = await schedule.next(); at !== undefined; at = await schedule.next()) due.push(Math.round((at - startsAt) / spacingMs));
  }
  t.same(due.sort((a, b) => a - b), Array.from({ length: 601 }, (_, i) => i), 'call numbers 0 to 600, none twice, none missing');
});
