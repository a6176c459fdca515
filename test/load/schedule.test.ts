import t from 'tap';
import { closedLoop, concurrencyGate, openLoop, type Due } from '../../src/load/schedule.js';

async function drain(next: () => Due, limit = 1000): Promise<number[]> {
  const due: number[] = [];
  for (let i = 0; i < limit; i++) {
    const at = await next();
    if (at === undefined) break;
    due.push(at);
  }
  return due;
}

t.test('a closed loop hands out exactly `total` starts', async (t) => {
  const schedule = closedLoop({ total: 7 });
  t.equal((await drain(() => schedule.next())).length, 7);
});

t.test('a closed loop ends at its end time', async (t) => {
  const schedule = closedLoop({ endsAt: performance.now() - 1 });
  t.equal(await schedule.next(), undefined);
});

t.test('a stopped closed loop hands out nothing more', async (t) => {
  const schedule = closedLoop({ total: 10 });
  await schedule.next();
  schedule.stop();
  t.equal(await schedule.next(), undefined);
});

t.test('an open loop schedules calls one spacing apart, from its start', async (t) => {
  const startsAt = performance.now() - 10_000; // in the past: every call is already due
  const schedule = openLoop(100, { index: 0, of: 1 }, { total: 5 }, startsAt);
  const times = await drain(() => schedule.next());
  t.same(times.map((at) => Math.round(at - startsAt)), [0, 10, 20, 30, 40]);
});

t.test('workers sharing a rate interleave their due times', async (t) => {
  const startsAt = performance.now() - 10_000;
  const first = openLoop(100, { index: 0, of: 2 }, { total: 3 }, startsAt);
  const second = openLoop(100, { index: 1, of: 2 }, { total: 3 }, startsAt);
  const offsets = async (s: ReturnType<typeof openLoop>): Promise<number[]> =>
    (await drain(() => s.next())).map((at) => Math.round(at - startsAt));
  t.same(await offsets(first), [0, 20, 40]);
  t.same(await offsets(second), [10, 30, 50]);
});

t.test('an open loop hands out a due time in the future only once it is due', async (t) => {
  const startsAt = performance.now() + 30;
  const schedule = openLoop(10, { index: 0, of: 1 }, { total: 1 }, startsAt);
  const due = await schedule.next();
  t.equal(due, startsAt);
  t.ok(performance.now() >= startsAt - 1, 'not before it was due (to timer resolution)');
});

t.test('an open loop makes no call due at or after its end, even when behind', async (t) => {
  const now = performance.now();
  // 10/s from a second ago: ten calls overdue, one due now, the next due 100 ms from now, after the end.
  const schedule = openLoop(10, { index: 0, of: 1 }, { endsAt: now + 90 }, now - 1000);
  t.equal((await drain(() => schedule.next())).length, 11);
});

t.test('an open loop that is still behind when its time is up makes no more calls', async (t) => {
  const schedule = openLoop(10, { index: 0, of: 1 }, { endsAt: performance.now() - 1 }, performance.now() - 1000);
  t.equal(await schedule.next(), undefined);
});

t.test('stopping an open loop releases a waiting call with no due time', async (t) => {
  const startsAt = performance.now() + 60_000;
  const schedule = openLoop(1, { index: 0, of: 1 }, { total: 10 }, startsAt);
  const waiting = schedule.next();
  schedule.stop();
  t.equal(await waiting, undefined);
  t.equal(await schedule.next(), undefined);
});

t.test('calls waiting at once each start when due, and a stop releases those still waiting', async (t) => {
  const startsAt = performance.now() + 50;
  const schedule = openLoop(10, { index: 0, of: 1 }, { total: 10 }, startsAt);
  const [first, second, third] = [schedule.next(), schedule.next(), schedule.next()];
  t.equal(await first, startsAt);
  t.equal(await second, startsAt + 100);
  schedule.stop();
  t.equal(await third, undefined, 'the third was still waiting');
  t.equal(await schedule.next(), undefined);
});

/** Due times as offsets from the start, counted per `bucketMs`. */
const perBucket = (times: number[], startsAt: number, bucketMs: number): number[] => {
  const counts: number[] = [];
  for (const at of times) {
    const bucket = Math.floor((at - startsAt + 1e-6) / bucketMs);
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return Array.from(counts, (n) => n ?? 0);
};

t.test('a step ramp starts at its start, steps every step duration, and holds at its end', async (t) => {
  const startsAt = performance.now() - 60_000;
  const schedule = openLoop({ start: 10, step: 10, stepMs: 1000, end: 30 }, { index: 0, of: 1 }, { total: 70 }, startsAt);
  const times = await drain(() => schedule.next());
  t.same(perBucket(times, startsAt, 1000), [10, 20, 30, 10]);
  t.same(times.slice(0, 3).map((at) => Math.round(at - startsAt)), [0, 100, 200], '10/s: 100 ms apart');
  t.same(times.slice(10, 12).map((at) => Math.round(at - startsAt)), [1000, 1050], '20/s: 50 ms apart');
});

t.test('a ramp stops changing after its max duration, at the rate it reached', async (t) => {
  const startsAt = performance.now() - 60_000;
  const schedule = openLoop({ start: 10, step: 10, stepMs: 1000, maxMs: 1500 }, { index: 0, of: 1 }, { total: 50 }, startsAt);
  t.same(perBucket(await drain(() => schedule.next()), startsAt, 1000), [10, 20, 20]);
});

t.test('a line ramps down by its step every second until its end', async (t) => {
  const startsAt = performance.now() - 60_000;
  const schedule = openLoop({ start: 40, step: -15, stepMs: 1000, end: 10 }, { index: 0, of: 1 }, { total: 85 }, startsAt);
  t.same(perBucket(await drain(() => schedule.next()), startsAt, 1000), [40, 25, 10, 10]);
});

t.test('workers sharing a ramp interleave into exactly the one timetable', async (t) => {
  const startsAt = performance.now() - 60_000;
  const ramp = { start: 7, step: 11, stepMs: 300, end: 50 };
  const single = openLoop(ramp, { index: 0, of: 1 }, { total: 90 }, startsAt);
  const whole = await drain(() => single.next());
  const parts = await Promise.all([0, 1, 2].map((index) => {
    const schedule = openLoop(ramp, { index, of: 3 }, { total: 30 }, startsAt);
    return drain(() => schedule.next());
  }));
  t.same([...parts.flat()].sort((a, b) => a - b), whole);
});

t.test('a ramped rate keeps to its end time', async (t) => {
  const now = performance.now();
  const schedule = openLoop({ start: 10, step: 10, stepMs: 1000 }, { index: 0, of: 1 }, { endsAt: now + 95 }, now - 1900);
  t.equal((await drain(() => schedule.next())).length, 30, '10 in the first second, 20 in the second, none after the end');
});

t.test('issued counts the calls handed out, for their numbers', async (t) => {
  const schedule = closedLoop({ total: 3 });
  t.equal(schedule.issued, 0);
  await schedule.next();
  await schedule.next();
  t.equal(schedule.issued, 2);
});

t.test('a concurrency ramp admits slots below its value at once and the next ones at their step', async (t) => {
  const startsAt = performance.now();
  const gate = concurrencyGate({ start: 2, step: 1, stepMs: 40, end: 3 }, startsAt);
  t.equal(gate.admit(0), true);
  t.equal(gate.admit(1), true);
  const third = gate.admit(2);
  t.not(third, true, 'slot 2 waits for the first step');
  t.equal(await third, true);
  t.ok(performance.now() - startsAt >= 39, 'admitted at the step (to timer resolution)');
  t.equal(await gate.admit(3), false, 'slot 3 is never admitted: the ramp ends at 3');
});

t.test('closing a concurrency gate releases the slots still waiting', async (t) => {
  const gate = concurrencyGate({ start: 1, step: 1, stepMs: 60_000, end: 5 });
  const waiting = gate.admit(4);
  gate.close();
  t.equal(await waiting, false);
});

t.test('a ramp down retires the slots above it', async (t) => {
  const gate = concurrencyGate({ start: 3, step: -1, stepMs: 1, end: 1 }, performance.now() - 10);
  t.equal(gate.admit(0), true);
  t.equal(await gate.admit(2), false);
});
