// A bare HTTP/2 server on 127.0.0.1:0 that records each gRPC request as it
// arrives on the wire (headers and body bytes) and answers UNIMPLEMENTED, to
// check what a client really sends.
import { createServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface WireRequest {
  readonly headers: IncomingHttpHeaders;
  /** The length-prefixed gRPC messages: byte 0 of each is the compressed flag. */
  readonly body: Buffer;
}

export async function startWireRecorder(t: Test): Promise<{ address: string; requests: WireRequest[] }> {
  const requests: WireRequest[] = [];
  const server = createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      requests.push({ headers, body: Buffer.concat(chunks) });
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'recorded' },
        { endStream: true },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}
