import t from 'tap';
import { closedLoop, openLoop } from '../../src/load/schedule.js';

async function drain(next: () => Promise<number | undefined>, limit = 1000): Promise<number[]> {
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
