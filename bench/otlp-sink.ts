// A collector that takes every OTLP/HTTP export and answers 200 at once, for the bench's tracing variant: the
// server pays for making, batching, encoding and sending its spans, and nothing waits on a real collector.
import { once } from 'node:events';
import { createServer } from 'node:http';

export interface OtlpSink {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  /** Export requests received so far. */
  exports(): number;
  close(): void;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exports: () => received,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
