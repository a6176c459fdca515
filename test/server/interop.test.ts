// grpc.testing.TestService beyond what the interop cases exercise: request
// checks, HalfDuplexCall, CacheableUnaryCall, intervals, flow control and
// cancellation, over a real socket.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import t, { type Test } from 'tap';
import type { TestServiceClient } from '../../src/generated/grpc/testing/TestService.js';
import type { SimpleResponse__Output } from '../../src/generated/grpc/testing/SimpleResponse.js';
import type { StreamingOutputCallRequest } from '../../src/generated/grpc/testing/StreamingOutputCallRequest.js';
import type { StreamingOutputCallResponse__Output } from '../../src/generated/grpc/testing/StreamingOutputCallResponse.js';
import { streamOutcome, unaryOutcome } from '../../src/interop/outcomes.js';
import { interopProto } from '../../src/proto.js';
import { MAX_HALF_DUPLEX_REQUESTS } from '../../src/server/interop/test-service.js';
import { accessLine, eventually, serverTurns, settled, startServer, type TestServer } from '../helpers/server.js';

const { grpcTesting } = interopProto();

const MiB = 1024 * 1024;

async function testService(t: Test, env: Record<string, string> = { STREAMING: 'on' }): Promise<[TestServiceClient, TestServer]> {
  const server = await startServer(t, { INTEROP: 'on', ...env });
  const client = new grpcTesting.TestService(server.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  return [client, server];
}

function unary(client: TestServiceClient, request: Parameters<TestServiceClient['UnaryCall']>[0]) {
  return unaryOutcome<SimpleResponse__Output>((done) => client.UnaryCall(request, done));
}

function duplex(call: grpc.ClientDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse__Output>, requests: StreamingOutputCallRequest[]) {
  const outcome = streamOutcome(call);
  for (const request of requests) call.write(request);
  call.end();
  return outcome;
}

t.test('UnaryCall refuses requests it cannot honour with INVALID_ARGUMENT and the field at fault', async (t) => {
  const [client] = await testService(t);
  const cases: [Parameters<TestServiceClient['UnaryCall']>[0], RegExp][] = [
    [{ response_size: -1 }, /^response_size is -1; it must be from 0 to 2097152 bytes$/],
    [{ response_size: 3 * MiB }, /^response_size is 3145728/],
    [{ response_status: { code: 17, message: 'x' } }, /^response_status.code is 17; a gRPC status code is from 0 to 16$/],
    [{ response_type: 7 as unknown as 'COMPRESSABLE' }, /^response_type 7 is not supported: the only payload type is COMPRESSABLE$/],
  ];
  for (const [request, details] of cases) {
    const { status } = await unary(client, request);
    t.equal(status.code, grpc.status.INVALID_ARGUMENT);
    t.match(status.details, details);
  }
});

t.test('UnaryCall with response_status code 0 answers normally', async (t) => {
  const [client] = await testService(t);
  const { status, response } = await unary(client, { response_size: 3, response_status: { code: 0, message: 'ignored' } });
  t.equal(status.code, grpc.status.OK);
  t.equal(response?.payload?.body.length, 3);
});

t.test('CacheableUnaryCall answers with a new timestamp each call and a cache-control header', async (t) => {
  const [client] = await testService(t);
  const call = () => unaryOutcome<SimpleResponse__Output>((done) => client.CacheableUnaryCall({}, done));
  const first = await call();
  const second = await call();
  t.equal(first.status.code, grpc.status.OK);
  t.match(first.response?.payload?.body.toString(), /^\d+$/);
  t.not(first.response?.payload?.body.toString(), second.response?.payload?.body.toString());
  t.same(first.headers.get('cache-control'), ['max-age=60, public']);
});

t.test('StreamingOutputCall checks every response_parameters entry', async (t) => {
  const [client] = await testService(t);
  const interval = await streamOutcome(client.StreamingOutputCall({ response_parameters: [{ size: 1 }, { size: 1, interval_us: -5 }] }));
  t.equal(interval.status.code, grpc.status.INVALID_ARGUMENT);
  t.equal(interval.status.details, 'response_parameters[1].interval_us is -5; it must be from 0 to 60000000 microseconds');
  t.equal(interval.responses.length, 0);
  const size = await streamOutcome(client.StreamingOutputCall({ response_parameters: [{ size: -1 }] }));
  t.equal(size.status.details, 'response_parameters[0].size is -1; it must be from 0 to 2097152 bytes');
});

t.test('StreamingOutputCall with response_status ends with that status and the echoed trailers', async (t) => {
  const [client] = await testService(t);
  const metadata = new grpc.Metadata();
  metadata.set('x-grpc-test-echo-trailing-bin', Buffer.from([1, 2]));
  const outcome = await streamOutcome(
    client.StreamingOutputCall({ response_parameters: [{ size: 1 }], response_status: { code: 9, message: 'no' } }, metadata),
  );
  t.equal(outcome.status.code, grpc.status.FAILED_PRECONDITION);
  t.equal(outcome.status.details, 'no');
  t.same(outcome.status.metadata.get('x-grpc-test-echo-trailing-bin'), [Buffer.from([1, 2])]);
  t.equal(outcome.responses.length, 0);
});

t.test('StreamingOutputCall waits interval_us before each response and keeps their order', async (t) => {
  const [client] = await testService(t);
  const sizes = [5, 1, 4];
  const outcome = await streamOutcome(client.StreamingOutputCall({ response_parameters: sizes.map((size) => ({ size, interval_us: 2000 })) }));
  t.equal(outcome.status.code, grpc.status.OK);
  t.same(outcome.responses.map((r) => r.payload?.body.length), sizes);
});

t.test('StreamingInputCall counts a request without payload as 0 bytes', async (t) => {
  const [client] = await testService(t);
  const outcome = await unaryOutcome<{ aggregated_payload_size: number }, grpc.ClientWritableStream<object>>(
    (done) => client.StreamingInputCall(done),
    (call) => {
      call.write({});
      call.write({ payload: { body: Buffer.alloc(7) } });
      call.end();
    },
  );
  t.equal(outcome.response?.aggregated_payload_size, 7);
});

t.test('FullDuplexCall refuses a bad request with the number of the message at fault', async (t) => {
  const [client] = await testService(t);
  const outcome = await duplex(client.FullDuplexCall(), [
    { response_parameters: [{ size: 1 }] },
    { response_parameters: [{ size: -2 }] },
    { response_parameters: [{ size: -3 }] },
  ]);
  t.equal(outcome.status.code, grpc.status.INVALID_ARGUMENT);
  t.match(outcome.status.details, /^message 2: response_parameters\[0\]\.size is -2/);
});

t.test('FullDuplexCall queues a request that arrives while an earlier one waits its interval', async (t) => {
  const [client] = await testService(t);
  const outcome = await duplex(client.FullDuplexCall(), [
    { response_parameters: [{ size: 2, interval_us: 20_000 }] },
    { response_parameters: [{ size: 3 }] },
  ]);
  t.equal(outcome.status.code, grpc.status.OK);
  t.same(outcome.responses.map((r) => r.payload?.body.length), [2, 3]);
});

t.test('HalfDuplexCall reads every request, then answers them in order', async (t) => {
  const [client, { server, client: greeter }] = await testService(t);
  const call = client.HalfDuplexCall();
  const outcome = streamOutcome(call);
  let answeredEarly = false;
  call.on('data', () => (answeredEarly ||= !halfClosed));
  let halfClosed = false;
  call.write({ response_parameters: [{ size: 1 }, { size: 2 }] });
  call.write({ response_parameters: [{ size: 3 }] });
  await eventually(() => server.inFlight()[0]?.messagesIn === 2, 5000, 'the server to read both requests');
  await serverTurns(greeter(), 5); // time for an early answer to arrive, were there one
  halfClosed = true;
  call.end();
  const { status, responses } = await outcome;
  t.equal(status.code, grpc.status.OK);
  t.same(responses.map((r) => r.payload?.body.length), [1, 2, 3]);
  t.equal(answeredEarly, false, 'no response before the half-close');
});

t.test('HalfDuplexCall ends at once on a bad request or a response_status', async (t) => {
  const [client] = await testService(t);
  const bad = await duplex(client.HalfDuplexCall(), [
    { response_parameters: [{ size: 1 }] },
    { response_type: 3 as unknown as 'COMPRESSABLE' },
    { response_parameters: [{ size: 1 }] },
  ]);
  t.equal(bad.status.code, grpc.status.INVALID_ARGUMENT);
  t.match(bad.status.details, /^message 2: response_type 3/);
  const echoed = await duplex(client.HalfDuplexCall(), [{ response_status: { code: 5, message: 'gone' } }, { response_parameters: [{ size: 1 }] }]);
  t.equal(echoed.status.code, grpc.status.NOT_FOUND);
  t.equal(echoed.status.details, 'gone');
  t.equal(echoed.responses.length, 0);
});

t.test('HalfDuplexCall holds a bounded number of requests', async (t) => {
  const [client] = await testService(t);
  const requests = Array.from({ length: MAX_HALF_DUPLEX_REQUESTS + 1 }, () => ({ response_parameters: [{ size: 0 }] }));
  const outcome = await duplex(client.HalfDuplexCall(), requests);
  t.equal(outcome.status.code, grpc.status.RESOURCE_EXHAUSTED);
  t.match(outcome.status.details, `message ${MAX_HALF_DUPLEX_REQUESTS + 1}: HalfDuplexCall holds at most ${MAX_HALF_DUPLEX_REQUESTS} requests`);
  t.equal(outcome.responses.length, 0);
});

// Each flow-control test reads a response before it stops reading: a grpc-js client that has never read
// buffers whatever arrives in its own memory, so the server would never be held back, and whether it had
// sent everything by the time the test looked was a race.

t.test('StreamingOutputCall stops writing while the client does not read, and resumes when it does', async (t) => {
  const [client, { server, client: greeter }] = await testService(t);
  const count = 64;
  const call = client.StreamingOutputCall({ response_parameters: Array.from({ length: count }, () => ({ size: MiB })) });
  call.once('data', () => call.pause());
  const outcome = streamOutcome(call);
  const sent = (): number | undefined => server.inFlight()[0]?.messagesOut;
  const stalledAt = await settled(sent, greeter(), 'the server to stop writing while the stream is open');
  t.ok(stalledAt < count, `sent ${stalledAt} of ${count} while the client was not reading`);
  call.resume();
  const { status, responses } = await outcome;
  t.equal(status.code, grpc.status.OK);
  t.equal(responses.length, count);
});

t.test('FullDuplexCall stops reading and writing while the client does not read, and resumes when it does', async (t) => {
  const [client, { server, client: greeter }] = await testService(t);
  const call = client.FullDuplexCall();
  call.once('data', () => call.pause());
  const outcome = streamOutcome(call);
  call.write({ response_parameters: Array.from({ length: 48 }, () => ({ size: MiB })) });
  call.write({ response_parameters: [{ size: 1 }] });
  call.end();
  const sent = (): number | undefined => server.inFlight()[0]?.messagesOut;
  const stalledAt = await settled(sent, greeter(), 'the server to stop writing while the stream is open');
  t.ok(stalledAt < 49, `held back after ${stalledAt} of 49 responses`);
  call.resume();
  const { status, responses } = await outcome;
  t.equal(status.code, grpc.status.OK);
  t.equal(responses.length, 49);
  t.equal(responses.at(-1)?.payload?.body.length, 1);
});

t.test('a cancelled StreamingOutputCall stops its timers and writes', async (t) => {
  const [client, { server, logs }] = await testService(t);
  const call = client.StreamingOutputCall({ response_parameters: [{ size: 1 }, { size: 1, interval_us: 30_000_000 }, { size: 1 }] });
  const outcome = streamOutcome(call);
  call.once('data', () => call.cancel());
  const { status, responses } = await outcome;
  t.equal(status.code, grpc.status.CANCELLED);
  t.equal(responses.length, 1);
  const line = await accessLine(logs, '/grpc.testing.TestService/StreamingOutputCall');
  t.equal(line.code, 'CANCELLED');
  t.equal(line.messages_out, 1);
  t.equal(server.inFlight().length, 0, 'the call left the server as it was logged');
});

t.test('with STREAMING=off HalfDuplexCall ends at once with UNIMPLEMENTED and the reason', async (t) => {
  const [client] = await testService(t, { STREAMING: 'off' });
  const outcome = await duplex(client.HalfDuplexCall(), [{ response_parameters: [{ size: 1 }] }]);
  t.equal(outcome.status.code, grpc.status.UNIMPLEMENTED);
  t.match(outcome.status.details, /^HalfDuplexCall is a streaming RPC and streaming is off/);
});

/** Asks the server's reflection (v1) one question on a stream of its own; resolves to the answer. */
async function askReflection(address: string, request: object): Promise<ReflectionAnswer> {
  const definition = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
    keepCase: true,
    includeDirs: [fileURLToPath(new URL('../../node_modules/@grpc/reflection/build/proto/', import.meta.url))],
  });
  const { ServerReflection } = (grpc.loadPackageDefinition(definition) as unknown as ReflectionPackage).grpc.reflection.v1;
  const client = new ServerReflection(address, grpc.credentials.createInsecure());
  try {
    const call = client.ServerReflectionInfo();
    const answer = new Promise<ReflectionAnswer>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    const answered = await answer;
    call.end();
    return answered;
  } finally {
    client.close();
  }
}

interface ReflectionAnswer {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number };
}

async function reflectedServices(address: string): Promise<string[]> {
  const answer = await askReflection(address, { list_services: '' });
  return answer.list_services_response!.service.map((s) => s.name).sort();
}

interface ReflectionPackage {
  grpc: { reflection: { v1: { ServerReflection: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionAnswer> } } } };
}

t.test('reflection lists TestService only when INTEROP=on', async (t) => {
  const on = await startServer(t, { INTEROP: 'on' });
  const off = await startServer(t, {});
  t.same(await reflectedServices(on.address), ['grpc.health.v1.Health', 'grpc.testing.TestService', 'helloworld.Greeter']);
  t.same(await reflectedServices(off.address), ['grpc.health.v1.Health', 'helloworld.Greeter']);
});

t.test('reflection describes grpc.testing.TestService only when INTEROP=on', async (t) => {
  const on = await startServer(t, { INTEROP: 'on' });
  const off = await startServer(t, {});
  const described = await askReflection(on.address, { file_containing_symbol: 'grpc.testing.TestService' });
  const files = described.file_descriptor_response?.file_descriptor_proto ?? [];
  t.ok(files.some((f) => f.toString('latin1').includes('StreamingOutputCall')), 'describes the TestService methods');
  const unknown = await askReflection(off.address, { file_containing_symbol: 'grpc.testing.TestService' });
  t.equal(unknown.error_response?.error_code, grpc.status.NOT_FOUND);
  t.notOk(unknown.file_descriptor_response, 'no descriptor for a service the server does not register');
});
