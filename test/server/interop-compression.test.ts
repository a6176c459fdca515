// Why the server refuses the compression cases: what grpc-js 1.14 does, checked
// here so that an upgrade that changes it shows up (and the refusals can go).
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { interopProto } from '../../src/proto.js';
import { startServer } from '../helpers/server.js';

const { grpcTesting } = interopProto();

const unaryCall = grpcTesting.TestService.service.UnaryCall;

t.test('the server sends its messages uncompressed even to a client that accepts gzip', async (t) => {
  const { port } = await startServer(t, { INTEROP: 'on' });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  t.teardown(() => session.close());
  const request = unaryCall.requestSerialize({ response_size: 4096 });
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, request.length]), request]);
  const stream = session.request({
    ':method': 'POST',
    ':path': unaryCall.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-accept-encoding': 'gzip',
  });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const headers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('trailers', resolve));
  stream.end(framed);
  t.equal((await trailers)['grpc-status'], '0');
  t.equal((await headers)['grpc-encoding'], 'identity');
  const body = Buffer.concat(chunks);
  t.equal(body[0], 0, 'compressed flag unset');
  t.equal(unaryCall.responseDeserialize(body.subarray(5)).payload?.body.length, 4096);
});

t.test('neither an interceptor nor a handler learns that a request arrived compressed', async (t) => {
  const seen: string[] = [];
  const server = new grpc.Server({
    interceptors: [
      (_method, call) =>
        new grpc.ServerInterceptingCall(call, {
          start: (next) => next({ onReceiveMetadata: (metadata, forward) => (seen.push(...Object.keys(metadata.getMap())), forward(metadata)) }),
        }),
    ],
  });
  server.addService(grpcTesting.TestService.service, {
    UnaryCall: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      seen.push(...Object.keys(call.metadata.getMap()));
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  t.teardown(() => server.forceShutdown());
  const client = new grpcTesting.TestService(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
  t.teardown(() => client.close());
  await new Promise((resolve, reject) => client.UnaryCall({ payload: { body: Buffer.alloc(1000) } }, (error, response) => (error ? reject(error) : resolve(response))));
  t.ok(seen.length > 0, 'metadata was seen');
  t.notOk(seen.includes('grpc-encoding'), `grpc-encoding is not among ${JSON.stringify(seen)}`);
});
