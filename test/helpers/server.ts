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

/**
 * Completes `count` SayHello calls one after another on `greeter` (best on a connection of its own). Where a
 * test must show that something did not happen (a paused stream got no further), this stands in for a fixed
 * sleep: the server has answered `count` calls meanwhile, so it had every chance to do it.
 */
export async function serverTurns(greeter: GreeterClient, count = 20): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const code = await new Promise<grpc.status>((resolve) => greeter.SayHello({ name: 'turn' }, (error) => resolve(error?.code ?? grpc.status.OK)));
    if (code !== grpc.status.OK) throw new Error(`a SayHello round trip ended ${grpc.status[code]}`);
  }
}

/**
 * Resolves to what `measure` reads once it has stayed the same while the server answered ten calls on
 * `greeter` (a paused stream has stopped moving); undefined (the call not started, or gone) never counts.
 * Rejects after `timeoutMs`.
 */
export async function settled<T>(measure: () => T | undefined, greeter: GreeterClient, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = measure();
    await serverTurns(greeter, 10);
    if (before !== undefined && measure() === before) return before;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** Resolves once `predicate` holds, checking every `everyMs`; rejects after `timeoutMs` so no test waits for ever. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition', everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The access-log line for `method` (full path), once it has been written. */
export async function accessLine(logs: LogLine[], method: string): Promise<LogLine> {
  await eventually(() => logs.some((l) => l.method === method), 5000, `access log for ${method}`);
  return logs.find((l) => l.method === method) as LogLine;
}
