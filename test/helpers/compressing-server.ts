// A stand-in for an interop server that does what grpc-js cannot (as gRPC's C++
// and Java servers do): it reads the compressed flag of every request message
// and compresses responses when asked. Plain node:http2 with gRPC's
// length-prefixed framing, just enough for the four compression cases, so the
// tests can check that our interop client really sends (un)compressed messages.
import http2 from 'node:http2';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Test } from 'tap';
import type { SimpleRequest__Output } from '../../src/generated/grpc/testing/SimpleRequest.js';
import type { StreamingInputCallRequest__Output } from '../../src/generated/grpc/testing/StreamingInputCallRequest.js';
import type { StreamingOutputCallRequest__Output } from '../../src/generated/grpc/testing/StreamingOutputCallRequest.js';
import { interopProto } from '../../src/proto.js';

const { grpcTesting } = interopProto();

const methods = grpcTesting.TestService.service;

interface Received<T> {
  readonly compressed: boolean;
  readonly request: T;
}

function unframe<T>(body: Buffer, deserialize: (bytes: Buffer) => T): Received<T>[] {
  const messages: Received<T>[] = [];
  for (let offset = 0; offset < body.length; ) {
    const compressed = body[offset] === 1;
    const length = body.readUInt32BE(offset + 1);
    const bytes = body.subarray(offset + 5, offset + 5 + length);
    messages.push({ compressed, request: deserialize(compressed ? gunzipSync(bytes) : bytes) });
    offset += 5 + length;
  }
  return messages;
}

function frame(message: Buffer, compress: boolean): Buffer {
  const bytes = compress ? gzipSync(message) : message;
  const header = Buffer.alloc(5);
  header.writeUInt8(compress ? 1 : 0, 0);
  header.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([header, bytes]);
}

interface Answer {
  messages: Buffer[];
  code: number;
  details: string;
}

/** INVALID_ARGUMENT when the compressed flag contradicts expect_compressed (unless `checks` is off). */
function compressionMismatch(received: Received<{ expect_compressed: { value: boolean } | null }>, checks: boolean): string | undefined {
  const expected = received.request.expect_compressed?.value;
  if (!checks || expected === undefined || expected === received.compressed) return undefined;
  return `expect_compressed is ${expected} but the request arrived ${received.compressed ? 'compressed' : 'uncompressed'}`;
}

function answer(path: string | undefined, body: Buffer, checks: boolean): Answer {
  const ok = (messages: Buffer[]): Answer => ({ messages, code: 0, details: '' });
  const invalid = (details: string): Answer => ({ messages: [], code: 3, details });
  switch (path) {
    case methods.UnaryCall.path: {
      const [received] = unframe<SimpleRequest__Output>(body, methods.UnaryCall.requestDeserialize);
      const mismatch = compressionMismatch(received!, checks);
      if (mismatch) return invalid(mismatch);
      const { response_size, response_compressed } = received!.request;
      const response = methods.UnaryCall.responseSerialize({ payload: { body: Buffer.alloc(response_size) } });
      return ok([frame(response, response_compressed?.value === true)]);
    }
    case methods.StreamingInputCall.path: {
      let size = 0;
      for (const received of unframe<StreamingInputCallRequest__Output>(body, methods.StreamingInputCall.requestDeserialize)) {
        const mismatch = compressionMismatch(received, checks);
        if (mismatch) return invalid(mismatch);
        size += received.request.payload?.body.length ?? 0;
      }
      return ok([frame(methods.StreamingInputCall.responseSerialize({ aggregated_payload_size: size }), false)]);
    }
    default: {
      const [received] = unframe<StreamingOutputCallRequest__Output>(body, methods.StreamingOutputCall.requestDeserialize);
      return ok(
        received!.request.response_parameters.map(({ size, compressed }) =>
          frame(methods.StreamingOutputCall.responseSerialize({ payload: { body: Buffer.alloc(size) } }), compressed?.value === true),
        ),
      );
    }
  }
}

/** Starts the stand-in on 127.0.0.1:0 for test `t`; resolves to its address. `checks: false` ignores expect_compressed. */
export async function startCompressingServer(t: Test, { checks = true } = {}): Promise<string> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const { messages, code, details } = answer(headers[':path'], Buffer.concat(chunks), checks);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(code), 'grpc-message': encodeURIComponent(details) }));
      stream.end(Buffer.concat(messages));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return `127.0.0.1:${port}`;
}
