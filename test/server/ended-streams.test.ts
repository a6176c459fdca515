// No stream outlives its call: a call the server ends before its client has
// ended its side (a message over the limit, a client stream answered early, a
// validation error on the first message) has its stream reset with NO_ERROR
// once the status is out (RFC 9113 §8.1), so it gives its slot on the
// connection back. Seen from both ends: the raw client gets the status, then
// the reset; the server's own HTTP/2 sessions hold no stream after the call.
import { constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { SAY_HELLO, grpcFrame, openSession, openStream, sayHelloRequest } from '../helpers/attacks.js';
import { collect, sayHello } from '../helpers/calls.js';
import { eventually, startServer } from '../helpers/server.js';
import { helloworld } from '../../src/proto.js';

const { INVALID_ARGUMENT, OK, RESOURCE_EXHAUSTED } = grpc.status;
const LOTS_OF_GREETINGS = '/helloworld.Greeter/LotsOfGreetings';
const BIDI_HELLO = '/helloworld.Greeter/BidiHello';
const MiB = 1024 * 1024;

const invalidGreeting = grpcFrame(helloworld.Greeter.service.LotsOfGreetings.requestSerialize({ name: '' }));

/** Ways a server ends a call while its client is still sending, each with the status the client gets. */
const ENDED_EARLY = [
  // A 5 MiB message promised (over the 4 MiB limit), 16 bytes of it sent, the stream never ended.
  { name: 'an oversize message', path: SAY_HELLO, body: grpcFrame(Buffer.alloc(16), { length: 5 * MiB }), status: RESOURCE_EXHAUSTED },
  // The handler answers at the first (invalid) message; the client's stream goes on.
  { name: 'a client stream answered early', path: LOTS_OF_GREETINGS, body: invalidGreeting, status: INVALID_ARGUMENT },
  { name: 'a validation error on the first message of a bidi stream', path: BIDI_HELLO, body: invalidGreeting, status: INVALID_ARGUMENT },
] as const;

/** What the raw client saw of a stream: its gRPC status, then how the stream closed. */
function outcome(stream: ClientHttp2Stream): Promise<{ grpcStatus?: number; rstCode: number }> {
  return new Promise((resolve) => {
    let grpcStatus: number | undefined;
    const take = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) grpcStatus = Number(headers['grpc-status']);
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('error', () => {});
    stream.on('data', () => {});
    stream.on('close', () => resolve({ grpcStatus, rstCode: stream.rstCode ?? -1 }));
  });
}

async function concurrentSayHellos(session: ClientHttp2Session, count: number): Promise<number[]> {
  const ends = Array.from({ length: count }, () => openStream(session, SAY_HELLO, sayHelloRequest('Ada'), true).ended);
  return (await Promise.all(ends)).map((end) => end.grpcStatus ?? -1);
}

t.test('streams the server ends before their client has ended its side are reset with NO_ERROR after the status, leaving none open', async (t) => {
  const server = await startServer(t);
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  let goaway: number | undefined;
  session.on('goaway', (code: number) => (goaway = code));

  for (const { name, path, body, status } of ENDED_EARLY) {
    // 34 of each: 102 calls, more than the connection's MAX_CONCURRENT_STREAMS (100).
    const streams = Array.from({ length: 34 }, () => {
      const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
      stream.write(body);
      return stream;
    });
    const outcomes = await Promise.all(streams.map(outcome));
    t.same(
      outcomes.filter((o) => o.grpcStatus !== status || o.rstCode !== constants.NGHTTP2_NO_ERROR),
      [],
      `${name}: each client got ${grpc.status[status]}, then RST_STREAM(NO_ERROR)`,
    );
  }
  await eventually(() => server.server.openStreams() === 0, 5000, 'the server to hold no stream');
  t.equal(server.server.inFlight().length, 0, 'no call in flight');

  const statuses = await concurrentSayHellos(session, 200);
  t.same(statuses.filter((s) => s !== OK), [], '200 concurrent calls on the same connection all end OK');
  t.equal(goaway, undefined, 'the connection was never closed');
  await eventually(() => server.server.openStreams() === 0, 5000, 'the server to hold no stream after them');
});

t.test('a stream whose client ends its side after the status is not reset: it closes as usual', async (t) => {
  const server = await startServer(t);
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  const stream = openStream(session, LOTS_OF_GREETINGS, invalidGreeting, true);
  t.same(await stream.ended, { grpcStatus: INVALID_ARGUMENT, grpcMessage: 'message 1: name is empty: set HelloRequest.name to who should be greeted' });
  t.equal(stream.stream.rstCode, constants.NGHTTP2_NO_ERROR);
  await eventually(() => server.server.openStreams() === 0, 5000, 'the server to hold no stream');
});

t.test('over grpc-js: after 100 client streams answered early on one channel, 200 concurrent calls on it all end OK', async (t) => {
  const server = await startServer(t);
  const client = server.client();
  const early = Array.from({ length: 100 }, () => {
    let call!: grpc.ClientWritableStream<{ name: string }>;
    const status = new Promise<grpc.status>((resolve) => {
      call = client.LotsOfGreetings((error) => resolve(error?.code ?? OK));
    });
    call.write({ name: '' });
    return status;
  });
  t.same((await Promise.all(early)).filter((code) => code !== INVALID_ARGUMENT), [], 'each answered INVALID_ARGUMENT at its first message');
  await eventually(() => server.server.openStreams() === 0, 5000, 'the server to hold no stream');
  const results = await Promise.all(Array.from({ length: 200 }, () => sayHello(client, { name: 'Ada' })));
  t.same(results.map((r) => r.status.code).filter((code) => code !== OK), [], '200 concurrent SayHello all OK');
  const bidi = client.BidiHello();
  const ended = collect(bidi);
  bidi.write({ name: '' });
  t.equal((await ended).status.code, INVALID_ARGUMENT);
  await eventually(() => server.server.openStreams() === 0, 5000, 'the server to hold no stream at the end');
});
