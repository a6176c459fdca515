// The servers and paths of the matrix, each a process of its own on 127.0.0.1, stopped when its test ends:
// the project's server from its real entry (dist/main.js), grpc-go's Greeter as the reference server, and
// the paths between client and server: direct, Go's httputil.ReverseProxy over h2c, nginx, haproxy.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { eventually } from '../helpers/server.js';
import { freePort, ROOT } from '../helpers/process.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { runProxy, startGrpcProxy } from '../image/grpc-proxy.js';
import type { Toolchain } from './toolchain.js';

/** Calls in flight get this long after SIGTERM before the server ends them with UNAVAILABLE. */
const SHUTDOWN_GRACE_MS = 1000;

export interface Peer {
  readonly child: ChildProcess;
  readonly address: string;
  /** How it exited: `code 0`, `signal SIGABRT`. */
  readonly exited: Promise<string>;
}

/** Spawns `command`, killed when the test ends; resolves once it has printed a JSON line with its `port`. */
async function spawnListening(t: Test, name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Peer> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let port: number | undefined;
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (port !== undefined) return;
    output += chunk.toString();
    for (const line of output.split('\n').slice(0, -1)) if (port === undefined && line.startsWith('{')) port = (JSON.parse(line) as { port?: number }).port;
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  // 60 s: a start takes a second of CPU, much longer on a loaded machine.
  await eventually(() => port !== undefined || child.exitCode !== null, 60_000, `${name} to listen`);
  if (port === undefined) throw new Error(`${name} exited before it listened: ${output.trim()}`);
  return { child, address: `127.0.0.1:${port}`, exited };
}

export type ServerKind = 'project' | 'grpc-go';

/** The project's server as the image runs it (Node 22, dist/main.js), with the interop TestService on; or grpc-go's. */
export async function startServer(t: Test, kind: ServerKind, tools: Toolchain): Promise<Peer> {
  if (kind === 'grpc-go') return spawnListening(t, 'the grpc-go server', tools.goBinary, ['server']);
  const env = { ...process.env, HOST: '127.0.0.1', PORT: String(await freePort()), INTEROP: 'on', SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS) };
  return spawnListening(t, 'the server (Node 22, dist/main.js)', tools.node, [join(ROOT, 'dist/main.js')], env);
}

function haproxyConfig(port: number, upstream: string): string {
  return `defaults
  mode http
  timeout connect 5s
  # Longer than any call the matrix makes, so haproxy never ends one itself.
  timeout client 60s
  timeout server 60s
frontend grpc
  bind 127.0.0.1:${port} proto h2
  default_backend server
backend server
  server s1 ${upstream} proto h2
`;
}

export interface Path {
  readonly name: string;
  /** Resolves to the address a client calls to reach `upstream` along this path. */
  start(t: Test, upstream: string, tools: Toolchain): Promise<string>;
}

export const PATHS: readonly Path[] = [
  { name: 'direct', start: async (_t, upstream) => upstream },
  {
    name: 'Go ReverseProxy (h2c)',
    start: async (t, upstream, tools) => (await spawnListening(t, 'the Go reverse proxy', tools.goBinary, ['proxy', upstream])).address,
  },
  { name: 'nginx grpc_pass', start: (t, upstream) => startGrpcProxy(t, upstream, temporaryDirectory(t, 'cloudrun-grpc-matrix-nginx-')) },
  {
    name: 'haproxy (proto h2)',
    start: async (t, upstream) => {
      const dir = temporaryDirectory(t, 'cloudrun-grpc-matrix-haproxy-');
      const port = await freePort();
      await writeFile(join(dir, 'haproxy.cfg'), haproxyConfig(port, upstream));
      return runProxy(t, 'haproxy', 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], port);
    },
  },
];
