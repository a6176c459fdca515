import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { mergeHistograms } from '../../src/load/histogram.js';
import { MAX_ERROR_MESSAGES, OTHER_ERRORS, Tally, mergeSnapshots } from '../../src/load/tally.js';

const ok = { code: grpc.status.OK, details: '', sent: 1, received: 1 };

t.test('a tally counts calls, errors, messages and status codes', async (t) => {
  const tally = new Tally();
  tally.record(ok, 1);
  tally.record({ code: grpc.status.UNAVAILABLE, details: 'gone', sent: 3, received: 0 }, 2);
  const snapshot = tally.snapshot();
  t.match(snapshot, { calls: 2, errors: 1, sent: 4, received: 1, codes: { OK: 1, UNAVAILABLE: 1 }, errorMessages: { 'UNAVAILABLE: gone': 1 } });
  t.equal(mergeHistograms([snapshot.histogram]).totalCount, 2);
});

t.test('distinct error messages beyond the limit are counted under one line', async (t) => {
  const tally = new Tally();
  for (let i = 0; i < MAX_ERROR_MESSAGES + 5; i++) tally.record({ ...ok, code: grpc.status.INTERNAL, details: `request ${String.fromCharCode(97 + i)}` }, 1);
  const { errorMessages } = tally.snapshot();
  t.equal(Object.keys(errorMessages).length, MAX_ERROR_MESSAGES + 1);
  t.equal(errorMessages[OTHER_ERRORS], 5);
});

t.test('errors whose texts differ only in their numbers are one group, the numbers shown as N', async (t) => {
  const tally = new Tally();
  for (const ms of [51.2, 50.9, 63]) tally.record({ ...ok, code: grpc.status.DEADLINE_EXCEEDED, details: `Deadline exceeded after ${ms}ms` }, 1);
  tally.record({ ...ok, code: grpc.status.INVALID_ARGUMENT, details: 'response_size is 2000000' }, 1);
  tally.record({ ...ok, code: grpc.status.INVALID_ARGUMENT, details: 'response_size is 2000000' }, 1);
  t.same(tally.snapshot().errorMessages, {
    'DEADLINE_EXCEEDED: Deadline exceeded after Nms': 3,
    'INVALID_ARGUMENT: response_size is 2000000': 2,
  });
  const other = new Tally();
  other.record({ ...ok, code: grpc.status.DEADLINE_EXCEEDED, details: 'Deadline exceeded after 7ms' }, 1);
  t.same(mergeSnapshots([tally.snapshot(), other.snapshot()]).errorMessages, {
    'DEADLINE_EXCEEDED: Deadline exceeded after Nms': 4,
    'INVALID_ARGUMENT: response_size is 2000000': 2,
  });
});

t.test('a status code outside the known ones is named by its number', async (t) => {
  const tally = new Tally();
  tally.record({ ...ok, code: 99 as grpc.status, details: 'odd' }, 1);
  t.same(tally.snapshot().codes, { '99': 1 });
  t.same(tally.snapshot().errorMessages, { '99: odd': 1 });
});

t.test('merged snapshots add up', async (t) => {
  const a = new Tally();
  const b = new Tally();
  a.record(ok, 1);
  b.record(ok, 2);
  b.record({ ...ok, code: grpc.status.INTERNAL, details: 'x' }, 3);
  const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
  t.match(merged, { calls: 3, errors: 1, sent: 3, received: 3, codes: { OK: 2, INTERNAL: 1 }, errorMessages: { 'INTERNAL: x': 1 } });
  t.equal(mergeHistograms([merged.histogram]).totalCount, 3);
});
