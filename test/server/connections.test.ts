import { connect, type ClientHttp2Session } from 'node:http2';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { helloworld } from '../../src/proto.js';
import { sayHello } from '../helpers/calls.js';
import { eventually, serverTurns, startServer } from '../helpers/server.js';

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

/** A bare HTTP/2 connection to `address`: it sees each PING the server sends (node:http2 answers it). */
function bareSession(t: Test, address: string): ClientHttp2Session {
  const session = connect(`http://${address}`);
  session.on('error', () => {}); // the server's own teardown may end it first
  t.teardown(() => session.close());
  return session;
}

t.test('KEEPALIVE_TIME_MS makes the server ping each connection, and calls keep working', async (t) => {
  const { address, client } = await startServer(t, { KEEPALIVE_TIME_MS: '50', KEEPALIVE_TIMEOUT_MS: '1000' });
  const session = bareSession(t, address);
  let pings = 0;
  session.on('ping', () => (pings += 1));
  await eventually(() => pings >= 3, 5000, 'three keepalive pings');
  t.equal(session.closed || session.destroyed, false, 'the connection is still open');
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK, 'and calls still work');
});

t.test('without KEEPALIVE_TIME_MS the server sends no pings', async (t) => {
  const { address, client } = await startServer(t);
  const session = bareSession(t, address);
  let pings = 0;
  session.on('ping', () => (pings += 1));
  await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
  await serverTurns(client());
  t.equal(pings, 0);
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

t.test('close() ends every connection at once: one idle, one with a call in flight', async (t) => {
  const { address, server, client } = await startServer(t);
  // A call that would run for minutes, on a grpc-js client's connection.
  const replies = client().LotsOfReplies({ name: 'Ada', count: 1000, interval_ms: 60_000 });
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    replies.on('error', () => {});
    replies.on('status', resolve);
  });
  await new Promise((resolve) => replies.once('data', resolve));
  // A connection with no call at all.
  const idle = bareSession(t, address);
  await new Promise<void>((resolve) => idle.once('remoteSettings', () => resolve()));
  const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));

  server.close();
  await idleClosed;
  t.pass('the idle connection was closed');
  t.not((await ended).code, grpc.status.OK, 'the call in flight ended without finishing');
});
