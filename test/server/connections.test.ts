import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import t from 'tap';
import { helloworld } from '../../src/proto.js';
import { sayHello } from '../helpers/calls.js';
import { startServer } from '../helpers/server.js';

function nextState(channel: ReturnType<grpc.Client['getChannel']>, from: grpc.connectivityState, timeoutMs: number): Promise<grpc.connectivityState> {
  return new Promise((resolve, reject) =>
    channel.watchConnectivityState(from, Date.now() + timeoutMs, (error) =>
      error ? reject(error) : resolve(channel.getConnectivityState(false)),
    ),
  );
}

t.test('MAX_CONNECTION_AGE_MS makes the server close old connections so clients reconnect (and re-balance)', async (t) => {
  const { client } = await startServer(t, { MAX_CONNECTION_AGE_MS: '300', MAX_CONNECTION_AGE_GRACE_MS: '100' });
  const greeter = client();
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
  const channel = greeter.getChannel();
  t.equal(channel.getConnectivityState(false), grpc.connectivityState.READY);
  const after = await nextState(channel, grpc.connectivityState.READY, 5000);
  t.not(after, grpc.connectivityState.READY, 'the server ended the connection when it grew old');
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK, 'the next call reconnects');
});

t.test('server keepalive settings leave calls working', async (t) => {
  const { client } = await startServer(t, { KEEPALIVE_TIME_MS: '50', KEEPALIVE_TIMEOUT_MS: '1000' });
  const greeter = client();
  for (let i = 0; i < 3; i += 1) {
    t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createServer().once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

t.test('an IPv6 HOST such as ::1 is listened on and served', { skip: ipv6 ? false : 'this machine has no IPv6 loopback' }, async (t) => {
  const { port } = await startServer(t, {}, { host: '::1' });
  const greeter = new helloworld.Greeter(`[::1]:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => greeter.close());
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
});
