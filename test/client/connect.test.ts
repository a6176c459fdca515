import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { connect, DEFAULT_DEADLINE_MS, greeterClient, healthClient, resolveTarget, type Connection } from '../../src/client/connect.js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';
import { startWireRecorder } from '../helpers/wire.js';

function greeter(t: Test, connection: Connection): GreeterClient {
  const client = greeterClient(connection);
  t.teardown(() => client.close());
  return client;
}

function sayHello(client: GreeterClient, options: grpc.CallOptions = {}): Promise<{ error: grpc.ServiceError | null; message?: string }> {
  return new Promise((resolve) =>
    client.SayHello({ name: 'Ada' }, options, (error, reply) => resolve({ error, message: reply?.message })),
  );
}

/** grpc-timeout (e.g. "29999m", "30S") in milliseconds. */
function timeoutMs(header: string | string[] | undefined): number {
  const match = /^(\d+)([HMSmun])$/.exec(String(header));
  const units: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
  return Number(match?.[1]) * (units[match?.[2] ?? ''] ?? NaN);
}

t.test('a target without a port gets 443 with TLS; ports, plaintext and URIs pass through', async (t) => {
  t.equal(resolveTarget('hello-abc-uc.a.run.app', false), 'hello-abc-uc.a.run.app:443');
  t.equal(resolveTarget('hello-abc-uc.a.run.app:8443', false), 'hello-abc-uc.a.run.app:8443');
  t.equal(resolveTarget('[::1]:50051', false), '[::1]:50051');
  t.equal(resolveTarget('hello.default.svc.cluster.local', true), 'hello.default.svc.cluster.local');
  t.equal(resolveTarget('xds:///hello', false), 'xds:///hello');
});

t.test('plaintext reaches a local server', async (t) => {
  const server = await startServer(t);
  const { error, message } = await sayHello(greeter(t, connect(server.address, { insecure: true })));
  t.equal(error, null);
  t.equal(message, 'Hello, Ada!');
});

t.test('health calls use the same connection', async (t) => {
  const server = await startServer(t);
  const client = healthClient(connect(server.address, { insecure: true }));
  t.teardown(() => client.close());
  const status = await new Promise((resolve) => client.Check({ service: '' }, (_error, reply) => resolve(reply?.status)));
  t.equal(status, 'SERVING');
});

t.test('every call carries the default 30 s deadline unless it sets its own', async (t) => {
  const wire = await startWireRecorder(t);
  const client = greeter(t, connect(wire.address, { insecure: true }));
  await sayHello(client);
  await sayHello(client, { deadline: Date.now() + 2000 });
  const [first, second] = wire.requests.map((r) => timeoutMs(r.headers['grpc-timeout']));
  t.ok(first! > DEFAULT_DEADLINE_MS / 2 && first! <= DEFAULT_DEADLINE_MS, `default deadline sent: ${first} ms`);
  t.ok(second! <= 2000, `the call's own deadline wins: ${second} ms`);
});

t.test('deadlineMs changes the default deadline', async (t) => {
  const wire = await startWireRecorder(t);
  await sayHello(greeter(t, connect(wire.address, { insecure: true, deadlineMs: 1500 })));
  const sent = timeoutMs(wire.requests[0]?.headers['grpc-timeout']);
  t.ok(sent > 0 && sent <= 1500, `${sent} ms`);
});

t.test('custom metadata, a static token and gzip ride on every call, over plaintext too', async (t) => {
  const wire = await startWireRecorder(t);
  const connection = connect(wire.address, {
    insecure: true,
    auth: { kind: 'static', token: 'minted-elsewhere' },
    metadata: [
      ['x-team', 'blue'],
      ['x-team', 'green'],
      ['x-trace-bin', Buffer.from([1, 2, 3]).toString('base64')],
    ],
    gzip: true,
  });
  const client = greeter(t, connection);
  const { error } = await sayHello(client);
  t.equal(error?.code, grpc.status.UNIMPLEMENTED, 'the recorder answered');
  await sayHello(client);
  t.equal(wire.requests.length, 2);
  for (const { headers, body } of wire.requests) {
    t.equal(headers.authorization, 'Bearer minted-elsewhere');
    t.match(headers['x-team'], /blue.*green/);
    t.equal(Buffer.from(String(headers['x-trace-bin']), 'base64').toString('hex'), '010203');
    t.equal(headers['grpc-encoding'], 'gzip');
    t.equal(body[0], 1, 'the message is flagged compressed');
  }
});

t.test('without gzip, messages go uncompressed', async (t) => {
  const wire = await startWireRecorder(t);
  await sayHello(greeter(t, connect(wire.address, { insecure: true })));
  t.equal(wire.requests[0]?.headers['grpc-encoding'], undefined);
  t.equal(wire.requests[0]?.body[0], 0);
});

t.test('metadata gRPC cannot send is refused when connecting', async (t) => {
  t.throws(() => connect('127.0.0.1:1', { insecure: true, metadata: [['bad key', 'x']] }), { message: /cannot send metadata "bad key"/ });
});

t.test('an unreadable CA file is refused when connecting, naming the file', async (t) => {
  t.throws(() => connect('localhost:1', { caFile: '/nonexistent/ca.pem' }), { message: /cannot read the CA file "\/nonexistent\/ca.pem"/ });
});

t.test('TLS', { skip: opensslMissing }, async (t) => {
  const pki = createTestPki(t);
  const server = await startServer(t, { TLS_CERT_FILE: pki.certFile, TLS_KEY_FILE: pki.keyFile });

  t.test('verifies the server against the extra CA and the authority', async (t) => {
    const { error, message } = await sayHello(greeter(t, connect(server.address, { caFile: pki.caFile, authority: 'localhost' })));
    t.equal(error, null);
    t.equal(message, 'Hello, Ada!');
  });

  t.test('fails the handshake, clearly, when the authority is not in the certificate', async (t) => {
    const { error } = await sayHello(greeter(t, connect(server.address, { caFile: pki.caFile, authority: 'wrong.example.com' })));
    t.equal(error?.code, grpc.status.UNAVAILABLE);
    t.match(error?.details, /wrong\.example\.com.*(altnames|does not match)|(altnames|does not match).*wrong\.example\.com/);
  });

  t.test('fails the handshake when the CA is not trusted', async (t) => {
    const { error } = await sayHello(greeter(t, connect(server.address, { authority: 'localhost' })));
    t.equal(error?.code, grpc.status.UNAVAILABLE);
    t.match(error?.details, /self[- ]signed|unable to (get|verify)/);
  });
});
