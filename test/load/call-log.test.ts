import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { CallLog, mergeCallLogs } from '../../src/load/call-log.js';

t.test('a call log keeps calls up to its limit and counts the rest', async (t) => {
  const log = new CallLog(3000);
  for (let i = 0; i < 3005; i++) log.record(i % 2 === 0 ? grpc.status.OK : grpc.status.INTERNAL, `fault ${i}`, i, 0);
  const snapshot = log.snapshot();
  t.equal(snapshot.startMs.length, 3000, 'grown past its first arrays, stopped at the limit');
  t.equal(snapshot.unlisted, 5);
  t.equal(snapshot.latencyMs[2999], 2999);
  t.equal(snapshot.details.get(1), 'fault 1', 'an error keeps its text');
  t.equal(snapshot.details.has(0), false, 'a success keeps none');
});

t.test('logs of several threads merge in the order their calls started', async (t) => {
  const a = new CallLog(10);
  const b = new CallLog(10);
  a.record(grpc.status.OK, '', 1, 10);
  b.record(grpc.status.UNAVAILABLE, 'gone', 2, 5);
  a.record(grpc.status.OK, '', 3, 20);
  const merged = mergeCallLogs([a.snapshot(), b.snapshot()]);
  t.same([...merged.latencyMs], [2, 1, 3]);
  t.same([...merged.code], [grpc.status.UNAVAILABLE, grpc.status.OK, grpc.status.OK]);
  t.same([...merged.details], [[0, 'gone']]);
});
