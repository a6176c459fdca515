// Shared set-up: start the real server (createServer, as main.ts does) on
// 127.0.0.1:0 with its log lines captured, and clean it up after the test.
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { Test } from 'tap';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { helloworld } from '../../src/proto.js';
import { createServer, type GreeterServer, type ServerDependencies } from '../../src/server/index.js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';

export interface LogLine {
  severity: string;
  message: string;
  [field: string]: unknown;
}

/** What the set-up helpers need of a test: a place to register clean-up (a tap Test, or a fixture process's own). */
export type Teardown = Pick<Test, 'teardown'>;

export interface TestServer {
  readonly server: GreeterServer;
  readonly address: string;
  readonly port: number;
  readonly logs: LogLine[];
  /** A Greeter client on its own channel, closed with the server. */
  client(options?: grpc.ChannelOptions): GreeterClient;
}

/** Starts a server for test `t` and stops it (and its clients) when the test ends. */
export async function startServer(
  t: Teardown,
  env: Record<string, string> = {},
  overrides: Partial<Config> = {},
  dependencies: Omit<ServerDependencies, 'logger'> = {},
): Promise<TestServer> {
  const config: Config = { ...loadConfig({ LOG_LEVEL: 'debug', ...env }), host: '127.0.0.1', port: 0, ...overrides };
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const server = createServer(config, { ...dependencies, logger: createLogger(config.logLevel, sink) });
  const port = await server.listen();
  const address = `127.0.0.1:${port}`;
  const clients: grpc.Client[] = [];
  t.teardown(() => {
    clients.forEach((c) => c.close());
    server.close();
  });
  return {
    server,
    address,
    port,
    logs,
    client(options = {}) {
      const client = new helloworld.Greeter(address, grpc.credentials.createInsecure(), options);
      clients.push(client);
      return client;
    },
  };
}

/** Resolves once `predicate` holds, checking every 10 ms; rejects after `timeoutMs` so no test waits for ever. */
export async function eventually(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The access-log line for `method` (full path), once it has been written. */
export async function accessLine(logs: LogLine[], method: string): Promise<LogLine> {
  await eventually(() => logs.some((l) => l.method === method), 5000, `access log for ${method}`);
  return logs.find((l) => l.method === method) as LogLine;
}
