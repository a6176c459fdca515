import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { connect, healthClient } from '../../src/client/connect.js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';
import { collect, sayHello } from '../helpers/calls.js';
import { accessLine, eventually, startServer, type TestServer } from '../helpers/server.js';

/** Opens `n` LotsOfReplies streams that run for a minute and resolves once each has sent its first reply. */
async function occupy(client: GreeterClient, n: number): Promise<grpc.ClientReadableStream<unknown>[]> {
  const streams = Array.from({ length: n }, () => client.LotsOfReplies({ name: 'busy', count: 60, interval_ms: 1000 }));
  await Promise.all(streams.map((s) => new Promise((resolve) => s.once('data', resolve))));
  for (const s of streams) s.on('error', () => {});
  return streams;
}

function limited(t: Test, limit: string): Promise<TestServer> {
  return startServer(t, { MAX_CONCURRENT_CALLS: limit });
}

t.test('beyond MAX_CONCURRENT_CALLS a new call ends at once with RESOURCE_EXHAUSTED naming the limit', async (t) => {
  const server = await limited(t, '2');
  const client = server.client();
  const streams = await occupy(client, 2);
  t.teardown(() => streams.forEach((s) => s.cancel()));

  const { status, replies } = await sayHello(client, { name: 'Ada' });
  t.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  t.equal(status.details, 'server is at its limit of 2 concurrent calls (MAX_CONCURRENT_CALLS); retry with backoff, or add instances');
  t.equal(replies.length, 0);
  t.equal(server.server.inFlight().length, 2, 'the refused call was never in flight');

  const line = await accessLine(server.logs, '/helloworld.Greeter/SayHello');
  t.equal(line.code, 'RESOURCE_EXHAUSTED');
  t.equal(line.severity, 'WARNING');
  t.equal(line.messages_in, 0, 'the handler never read the request');
});

t.test('a refused streaming call never reaches its handler', async (t) => {
  const server = await limited(t, '1');
  const client = server.client();
  const streams = await occupy(client, 1);
  t.teardown(() => streams.forEach((s) => s.cancel()));

  const bidi = client.BidiHello();
  bidi.write({ name: 'Ada' });
  bidi.end();
  const { status, replies } = await collect(bidi);
  t.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  t.equal(replies.length, 0);
  const line = await accessLine(server.logs, '/helloworld.Greeter/BidiHello');
  t.equal(line.messages_out, 0);
});

t.test('health checks are exempt from the limit, so probes pass while the server is full', async (t) => {
  const server = await limited(t, '1');
  const streams = await occupy(server.client(), 1);
  t.teardown(() => streams.forEach((s) => s.cancel()));
  const health = healthClient(connect(server.address, { insecure: true }));
  t.teardown(() => health.close());
  for (let i = 0; i < 3; i += 1) {
    const status = await new Promise<string | undefined>((resolve, reject) =>
      health.Check({ service: '' }, (error, reply) => (error ? reject(error) : resolve(reply?.status as string | undefined))),
    );
    t.equal(status, 'SERVING', `check ${i + 1}`);
  }
});

t.test('a slot freed by a finished call is given to the next call', async (t) => {
  const server = await limited(t, '1');
  const client = server.client();
  const [stream] = await occupy(client, 1);
  t.equal((await sayHello(client, { name: 'Ada' })).status.code, grpc.status.RESOURCE_EXHAUSTED);
  stream!.cancel();
  await eventually(() => server.server.inFlight().length === 0, 5000, 'the cancelled stream to leave');
  t.equal((await sayHello(client, { name: 'Ada' })).status.code, grpc.status.OK);
});

t.test('MAX_CONCURRENT_CALLS=0 sets no limit', async (t) => {
  const server = await limited(t, '0');
  const client = server.client();
  const streams = await occupy(client, 20);
  t.teardown(() => streams.forEach((s) => s.cancel()));
  t.equal((await sayHello(client, { name: 'Ada' })).status.code, grpc.status.OK);
  t.equal(server.server.inFlight().length, 20);
});
