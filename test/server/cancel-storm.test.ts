// A proxy's cancellations are carried: one connection carrying 200 client
// cancels a second for 60 s (each stream cancelled after its first reply or
// 5 ms), beside calls that complete, is never closed and fails none of them.
// On Node 22, the image's Node, which lets nghttp2's rapid-reset limit be
// lifted (premature-resets.ts is the guard instead); the server runs as its own
// process on the npm build of Node 22. On Node 20 see premature-resets.test.ts.
import t from 'tap';
import { cancellationStorm } from '../helpers/cancellations.js';
import { node22 } from '../helpers/npm-package.js';
import { spawnServer } from '../helpers/process.js';

t.test('on Node 22, 60 s of 200 client cancels a second on one connection: never closed, every call beside them OK', async (t) => {
  const server = await spawnServer(t, { LOG_LEVEL: 'info' }, await node22());
  const run = await cancellationStorm(server.address, 200, 60_000);
  t.equal(run.goaway, undefined, 'no GOAWAY');
  t.notOk(run.closed, 'the connection stayed open');
  t.ok(run.cancelled >= 11_000, `${run.cancelled} streams cancelled in ${run.ms} ms (${run.cancelledAfterReply} after a reply)`);
  t.ok(run.calls >= 1100, `${run.calls} SayHello calls beside them`);
  t.same(run.failed, [], 'none of them failed');
  t.same(
    server.logs().filter((l) => l.severity === 'WARNING' || l.severity === 'ERROR'),
    [],
    'the server logged no warning: the cancels are not taken for an attack',
  );
  t.equal(server.child.exitCode, null, 'the server is still running');
});
