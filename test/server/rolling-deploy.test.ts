// A rolling deploy in miniature: two servers, a client spreading calls over
// both, one server told to stop mid-run. What the platform does to a revision
// being replaced, and what a client configured as src/client/retry.ts says
// must not notice.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { connect, greeterClient } from '../../src/client/connect.js';
import { roundRobinWithRetries } from '../../src/client/retry.js';
import type { HelloResponse__Output } from '../../src/generated/helloworld/HelloResponse.js';
import { collect, sayHello } from '../helpers/calls.js';
import { spawnServer } from '../helpers/process.js';
import { eventually } from '../helpers/server.js';

const UNARY_CALLS = 300;
const UNARY_INTERVAL_MS = 10;
const SIGTERM_AFTER_CALLS = 100;
const STREAMS = 4;
const STREAM_MESSAGES = 40;
const STREAM_INTERVAL_MS = 100;
const GRACE_MS = 1500;

t.test('SIGTERM to one of two servers mid-run loses no unary call and ends each stream OK or UNAVAILABLE', async (t) => {
  const [a, b] = await Promise.all([
    spawnServer(t, { SHUTDOWN_GRACE_MS: String(GRACE_MS) }),
    spawnServer(t, { SHUTDOWN_GRACE_MS: String(GRACE_MS) }),
  ]);
  const client = greeterClient(connect(`ipv4:${a.address},${b.address}`, { insecure: true, channelOptions: roundRobinWithRetries() }));
  t.teardown(() => client.close());
  const served = (s: typeof a): number => s.logs().filter((l) => l.method === '/helloworld.Greeter/SayHello').length;
  // Until both connections are up, round_robin sends everything to the first: warm up first.
  for (let i = 0; i < 10; i += 1) await sayHello(client, { name: 'warm-up' });
  await eventually(() => served(a) > 0 && served(b) > 0, 10_000, 'both servers to have served a warm-up call');
  const warmUp = { a: served(a), b: served(b) };

  const streams = Array.from({ length: STREAMS }, (_, i) => {
    const call = client.BidiHello();
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      call.write({ name: `stream ${i} message ${sent}` });
      if (sent === STREAM_MESSAGES) call.end();
    }, STREAM_INTERVAL_MS);
    call.on('status', () => clearInterval(timer));
    return collect<HelloResponse__Output>(call);
  });

  const unary: Promise<grpc.status>[] = [];
  for (let i = 0; i < UNARY_CALLS; i += 1) {
    if (i === SIGTERM_AFTER_CALLS) a.child.kill('SIGTERM');
    unary.push(sayHello(client, { name: `call ${i}` }, { deadline: Date.now() + 10_000 }).then((o) => o.status.code));
    await new Promise((resolve) => setTimeout(resolve, UNARY_INTERVAL_MS));
  }

  const codes = await Promise.all(unary);
  const failed = codes.filter((code) => code !== grpc.status.OK);
  t.same(failed, [], `all ${UNARY_CALLS} unary calls succeeded`);
  const streamCodes = (await Promise.all(streams)).map((o) => grpc.status[o.status.code]);
  for (const code of streamCodes) t.ok(code === 'OK' || code === 'UNAVAILABLE', `a stream ended ${code}`);
  t.ok(streamCodes.includes('OK'), 'the streams on the server that stayed completed');
  t.equal((await a.exited).code, 0, 'the stopped server drained and exited 0');

  const runA = served(a) - warmUp.a;
  const runB = served(b) - warmUp.b;
  t.ok(runA > 0, `the stopped server served calls before it stopped (${runA})`);
  t.ok(runB > runA, `the survivor served the rest (${runB})`);
});
