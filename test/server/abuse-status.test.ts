// The access line records the status the client received, with its details and
// severity, also for the calls grpc-js ends itself (size limits, decode errors,
// bad headers: the client's fault, so WARNING at most) and for calls the client
// cancels or resets. It also fails if a grpc-js or Node upgrade moves the
// internals src/server/call-transport.ts reads.
import type { ClientHttp2Stream } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { collect } from '../helpers/calls.js';
import { SAY_HELLO, UNDECODABLE, grpcFrame, openSession, openStream, sayHelloRequest } from '../helpers/attacks.js';
import { accessLine, eventually, startServer } from '../helpers/server.js';
import { liftResetLimit, nodeTakesResetLimit, RESET_LIMIT } from '../../src/server/call-transport.js';

const { CANCELLED, INTERNAL, RESOURCE_EXHAUSTED, UNIMPLEMENTED } = grpc.status;
const MiB = 1024 * 1024;

const CASES = [
  {
    name: 'an oversize message',
    body: grpcFrame(Buffer.alloc(16), { length: 0x7fffffff }),
    headers: {},
    expected: { status: RESOURCE_EXHAUSTED, severity: 'WARNING', details: /larger than max/ },
  },
  {
    name: 'a gzip bomb (5 MiB once inflated)',
    body: grpcFrame(gzipSync(Buffer.concat([Buffer.from([0x0a, 0x80, 0x80, 0x40]), Buffer.alloc(5 * MiB, 0x61)])), { compressed: true }),
    headers: { 'grpc-encoding': 'gzip' },
    expected: { status: RESOURCE_EXHAUSTED, severity: 'WARNING', details: /decompresses to a size larger than/ },
  },
  {
    name: 'bytes that are not a HelloRequest',
    body: UNDECODABLE,
    headers: {},
    expected: { status: INTERNAL, severity: 'WARNING', details: /Error deserializing request/ },
  },
  {
    name: 'a malformed grpc-timeout',
    body: sayHelloRequest(),
    headers: { 'grpc-timeout': 'soon' },
    expected: { status: INTERNAL, severity: 'WARNING', details: /Invalid grpc-timeout value "soon"/ },
  },
  {
    name: 'an unknown grpc-encoding',
    body: grpcFrame(Buffer.from([0x0a, 0x01, 0x41]), { compressed: true }),
    headers: { 'grpc-encoding': 'snappy' },
    expected: { status: UNIMPLEMENTED, severity: 'WARNING', details: /unsupported encoding "snappy"/ },
  },
] as const;

for (const { name, body, headers, expected } of CASES) {
  t.test(`${name}: the client gets ${grpc.status[expected.status]} and the access line says the same, with details`, async (t) => {
    const server = await startServer(t);
    const session = await openSession(server.address);
    t.teardown(() => session.destroy());
    const end = await openStream(session, SAY_HELLO, body, true, true, headers).ended;
    t.equal(end.grpcStatus, expected.status);
    const line = await accessLine(server.logs, SAY_HELLO);
    t.match(line, { code: grpc.status[expected.status], severity: expected.severity, details: expected.details });
    t.equal(line.details, end.grpcMessage, 'the details the client got');
  });
}

t.test('a BidiHello the client cancels is logged CANCELLED, never OK', async (t) => {
  const server = await startServer(t);
  const bidi = server.client().BidiHello();
  const outcome = collect(bidi);
  bidi.write({ name: 'Ada' });
  await new Promise((resolve) => bidi.once('data', resolve));
  bidi.cancel();
  t.equal((await outcome).status.code, CANCELLED);
  const line = await accessLine(server.logs, '/helloworld.Greeter/BidiHello');
  t.match(line, { code: 'CANCELLED', severity: 'INFO', messages_in: 1, messages_out: 1 });
});

t.test('a unary call whose stream ends without a request message is told so in words for a unary method', async (t) => {
  const server = await startServer(t);
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  const end = await openStream(session, SAY_HELLO, undefined, true).ended;
  t.equal(end.grpcStatus, UNIMPLEMENTED);
  t.match(end.grpcMessage, /^Received no request message for unary method \/helloworld\.Greeter\/SayHello: send exactly one request message/);
  t.equal((await accessLine(server.logs, SAY_HELLO)).details, end.grpcMessage, 'the access line has the same words');
});

const RESETS = [
  {
    how: 'RST_STREAM alone',
    reset: (stream: ClientHttp2Stream) => stream.destroy(),
    expected: { code: 'CANCELLED', severity: 'INFO', messages_in: 0 },
  },
  {
    // node:http2's close() (and grpc-js's cancel) end the stream, then reset it: grpc-js answers the empty request first.
    how: 'END_STREAM then RST_STREAM',
    reset: (stream: ClientHttp2Stream) => stream.close(0x8),
    expected: { code: 'UNIMPLEMENTED', severity: 'INFO', messages_in: 0, details: /Received no request message/ },
  },
] as const;

for (const { how, reset, expected } of RESETS) {
  t.test(`a SayHello reset (${how}) before its request arrived writes one line, ${expected.code} at INFO`, async (t) => {
    const server = await startServer(t);
    const session = await openSession(server.address);
    t.teardown(() => session.destroy());
    const raw = openStream(session, SAY_HELLO, undefined, false);
    await eventually(() => server.server.inFlight().length === 1, 5000, 'the call to begin');
    reset(raw.stream);
    await raw.ended;
    t.match(await accessLine(server.logs, SAY_HELLO), expected);
    await eventually(() => server.server.inFlight().length === 0);
    t.equal(server.logs.filter((l) => l.method === SAY_HELLO).length, 1, 'one line only');
  });
}

t.test("grpc-js still builds its HTTP/2 servers from commonServerOptions, so nghttp2's reset limit is lifted where Node takes it", async (t) => {
  const server = new grpc.Server();
  t.equal(liftResetLimit(server), nodeTakesResetLimit(), 'taken on this Node exactly when it is 22.10 or later');
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => server.forceShutdown());
  t.ok(port > 0);
  const http2Servers = [...(server as unknown as { http2Servers: Map<object, unknown> }).http2Servers.keys()];
  const options = http2Servers.map((http2Server) => {
    const symbol = Object.getOwnPropertySymbols(http2Server).find((s) => s.description === 'options');
    return symbol === undefined ? undefined : (http2Server as Record<symbol, { streamResetBurst?: number; streamResetRate?: number }>)[symbol];
  });
  t.same(
    options.map((o) => [o?.streamResetBurst, o?.streamResetRate]),
    [[RESET_LIMIT, RESET_LIMIT]],
    'the options reached http2.createServer',
  );
});

t.test('openStreams counts the streams open on the server, through grpc-js and Node internals', async (t) => {
  const server = await startServer(t);
  t.equal(server.server.openStreams(), 0);
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  const open = openStream(session, SAY_HELLO, undefined, false);
  await eventually(() => server.server.openStreams() === 1, 5000, 'the stream to be open on the server');
  open.stream.close();
  await open.ended;
  await eventually(() => server.server.openStreams() === 0, 5000, 'the stream to be closed on the server');
});
