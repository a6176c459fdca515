import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { resolveStreamingMode } from '../../src/server/streaming.js';
import { collect, lotsOfGreetings, sayHello } from '../helpers/calls.js';
import { startServer } from '../helpers/server.js';

const mode = (env: Record<string, string>) => resolveStreamingMode(loadConfig(env));

t.test('STREAMING=auto is off on fully managed Cloud Run (K_SERVICE without Kubernetes)', async (t) => {
  const resolved = mode({ K_SERVICE: 'greeter' });
  t.equal(resolved.enabled, false);
  t.match(resolved.reason, /fully managed Cloud Run/);
});

t.test('STREAMING=auto is on under Knative (K_SERVICE and KUBERNETES_SERVICE_HOST)', async (t) => {
  const resolved = mode({ K_SERVICE: 'greeter', KUBERNETES_SERVICE_HOST: '10.0.0.1' });
  t.equal(resolved.enabled, true);
  t.match(resolved.reason, /Knative/);
});

t.test('STREAMING=auto is on locally (no K_SERVICE)', async (t) => {
  t.equal(mode({}).enabled, true);
});

t.test('STREAMING=on and STREAMING=off override what the platform suggests', async (t) => {
  t.equal(mode({ STREAMING: 'on', K_SERVICE: 'greeter' }).enabled, true);
  t.equal(mode({ STREAMING: 'OFF', KUBERNETES_SERVICE_HOST: '10.0.0.1' }).enabled, false);
});

t.test('with streaming off each streaming method ends at once with UNIMPLEMENTED and unary still works', async (t) => {
  const { client, logs } = await startServer(t, { STREAMING: 'off' });
  const greeter = client();
  const outcomes = {
    LotsOfReplies: await collect(greeter.LotsOfReplies({ name: 'Ada', count: 5 })),
    LotsOfGreetings: await lotsOfGreetings(greeter, [{ name: 'Ada' }]),
    BidiHello: await (() => {
      const call = greeter.BidiHello();
      const outcome = collect(call);
      call.write({ name: 'Ada' });
      return outcome;
    })(),
  };
  for (const [method, { replies, status }] of Object.entries(outcomes)) {
    t.equal(status.code, grpc.status.UNIMPLEMENTED, method);
    t.match(status.details, new RegExp(`^${method} is a streaming RPC.*STREAMING=on`), method);
    t.match(status.details, /SayHello/, `${method} points to SayHello`);
    t.equal(replies.length, 0, `${method} sent nothing`);
  }
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
  const started = logs.find((l) => l.streaming !== undefined);
  t.equal(started?.streaming, false, 'the start-up line logs the resolved mode');
  t.equal(started?.streaming_reason, 'STREAMING=off', 'and the reason');
});
