// A gRPC server written on node:http2 with the framing done by hand, for the
// replies grpc-js never sends on request: trailers-only, many messages in one
// DATA frame, gzip-compressed replies, a non-200 HTTP status, silence. It
// keeps every request's headers and body. Closed when the test ends.
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Test } from 'tap';

export interface RawRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RawServer {
  readonly address: string;
  readonly requests: RawRequest[];
}

/** Answers each call with `reply` once its request body has arrived. */
export async function startRawServer(t: Test, reply: (stream: ServerHttp2Stream, request: RawRequest) => void): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {});
    stream.on('end', () => {
      const request = { headers, body: Buffer.concat(chunks) };
      requests.push(request);
      reply(stream, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  // close() waits for sessions to end: end them.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  t.teardown(() => sessions.forEach((session) => session.destroy()));
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

/** One gRPC message: flag, length, bytes. */
export function frame(message: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

export const GRPC_HEADERS = { ':status': 200, 'content-type': 'application/grpc' } as const;
