// nginx's grpc_pass in front of the container, standing in for the HTTP/2 proxies Knative puts
// there (ingress, queue-proxy): a config of its own in a temporary directory, listening on
// 127.0.0.1 only, stopped when the test ends. Debian's nginx; where it is not installed, the
// package is unpacked into the cache directory rather than installed, so no service starts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { freePort } from '../helpers/process.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { onPath, unpackPackage } from './packages.js';

async function nginxBinary(cacheDir: string): Promise<string> {
  if (await onPath('nginx')) return 'nginx';
  const unpacked = join(cacheDir, 'nginx/root/usr/sbin/nginx');
  if (!existsSync(unpacked)) await unpackPackage('nginx', join(cacheDir, 'nginx'));
  return unpacked;
}

function config(dir: string, port: number, upstream: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n');
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
# Each call nginx forwards takes a connection to the server of its own (grpc_pass does not multiplex):
# enough for the interop matrix's 200 concurrent calls.
events { worker_connections 1024; }
http {
  access_log off;
  # nginx ends a client's connection after 1000 calls by default (GOAWAY); the interop matrix's storm
  # makes 1,400 on one connection, and a connection replaced is what it watches for.
  keepalive_requests 100000;
${temp}
  server {
    listen 127.0.0.1:${port} http2;
    location / {
      grpc_pass grpc://${upstream};
      # Above nginx's 1 MiB default, so a message over the server's 4 MiB limit reaches the server,
      # which answers it (RESOURCE_EXHAUSTED), as it does behind Knative's proxies.
      client_max_body_size 16m;
      # Longer than any call the test makes, so nginx never ends one itself.
      grpc_read_timeout 60s;
      grpc_send_timeout 60s;
    }
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs a proxy in the foreground (`command args`) that is to listen on 127.0.0.1:`port`, stopped with SIGTERM
 * when the test ends; resolves to its address once it accepts connections.
 */
export async function runProxy(t: Test, name: string, command: string, args: string[], port: number): Promise<string> {
  let stderr = '';
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (stderr += error.message));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  // Bounded: the proxy either listens within 10 s or has exited saying why.
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (child.exitCode !== null || attempt === 100) throw new Error(`${name} did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `127.0.0.1:${port}`;
}

/** Starts nginx proxying gRPC to `upstream` (host:port); resolves to its own 127.0.0.1 address. */
export async function startGrpcProxy(t: Test, upstream: string, cacheDir: string): Promise<string> {
  const nginx = await nginxBinary(cacheDir);
  const dir = temporaryDirectory(t, 'cloudrun-grpc-nginx-');
  const port = await freePort();
  await writeFile(join(dir, 'nginx.conf'), config(dir, port, upstream));
  return runProxy(t, 'nginx', nginx, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], port);
}
