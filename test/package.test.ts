// The package as a user installs it: `npm pack` (its prepare script builds dist/), the tarball
// installed into an empty project with an empty npm cache and --offline (the dependencies are copied
// from this checkout's node_modules, so nothing is fetched), then `connect` imported by the package's
// name from TypeScript (type-checked with tsc, then run) and from JavaScript, and `npx cloudrun-grpc
// hello` run from that project, each against a local server.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startServer } from './helpers/server.js';
import { temporaryDirectory } from './helpers/temp-dir.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const dir = temporaryDirectory(t, 'cloudrun-grpc-package-');
const cache = path.join(dir, 'empty-npm-cache');
const consumer = path.join(dir, 'consumer');
/** npm (or npx) with the empty cache and no registry: any fetch fails with ENOTCACHED. */
const npm = (args: string[], cwd: string, command = 'npm') =>
  run(command, ['--offline', '--cache', cache, '--no-audit', '--no-fund', '--loglevel', 'error', ...args], { cwd, maxBuffer: 1 << 24 });

// Packing builds dist/ (tsc, the server bundle): minutes on a busy machine.
t.setTimeout(600_000);

const [packed] = JSON.parse((await npm(['pack', '--json', '--pack-destination', dir], ROOT)).stdout) as [{ filename: string; files: { path: string }[] }];
const server = await startServer(t);

t.test('the tarball holds the library, its types, the bin and the protos, and no tests', async (t) => {
  const files = packed.files.map((f) => f.path);
  for (const needed of ['dist/client/index.js', 'dist/client/index.d.ts', 'dist/cli.js', 'dist/main.js', 'proto/helloworld.proto', 'package.json']) {
    t.ok(files.includes(needed), needed);
  }
  t.same(files.filter((f) => /(^|\/)test\/|\.test\.|\.map$|^src\//.test(f)), [], 'no tests, sources or source maps');
});

t.test('installs from the tarball into an empty project, offline, with an empty cache', async (t) => {
  mkdirSync(path.join(consumer, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The package's dependencies as this checkout installed them (`npm ls --omit=dev`), with their bin links.
  const parseable = (await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, maxBuffer: 1 << 24 })).stdout;
  const topLevel = parseable.split('\n').map((p) => path.relative(ROOT, p)).filter((p) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p));
  t.ok(topLevel.includes('node_modules/@grpc/grpc-js'), `${topLevel.length} packages to copy`);
  for (const p of topLevel) cpSync(path.join(ROOT, p), path.join(consumer, p), { recursive: true });
  for (const bin of readdirSync(path.join(ROOT, 'node_modules/.bin'))) {
    const target = readlinkSync(path.join(ROOT, 'node_modules/.bin', bin));
    if (existsSync(path.join(consumer, 'node_modules/.bin', target))) cpSync(path.join(ROOT, 'node_modules/.bin', bin), path.join(consumer, 'node_modules/.bin', bin), { verbatimSymlinks: true });
  }
  await npm(['install', '--ignore-scripts', path.join(dir, packed.filename)], consumer);
  t.ok(existsSync(path.join(consumer, 'node_modules/cloudrun-grpc/dist/client/index.js')));
});

t.test('connect, imported by name from TypeScript, type-checks and calls', async (t) => {
  writeFileSync(path.join(consumer, 'hello.ts'), `import { connect, greeterClient, type HelloResponse__Output } from 'cloudrun-grpc';
const client = greeterClient(connect(process.argv[2] as string, { insecure: true }));
const reply = await new Promise<HelloResponse__Output>((resolve, reject) =>
  client.SayHello({ name: 'TypeScript' }, (error, response) => (error ? reject(error) : resolve(response!))),
);
console.log(reply.message);
client.close();
export function typesAreReal(): void {
  // @ts-expect-error: a HelloRequest has no "nom"; were the types missing, this line would be no error and tsc would fail.
  client.SayHello({ nom: 'x' }, () => undefined);
}
`);
  writeFileSync(path.join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] },
    files: ['hello.ts'],
  }));
  await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], { cwd: consumer });
  const { stdout } = await run(process.execPath, ['out/hello.js', server.address], { cwd: consumer });
  t.equal(stdout, 'Hello, TypeScript!\n');
});

t.test('connect, imported by name from JavaScript, calls', async (t) => {
  writeFileSync(path.join(consumer, 'hello.mjs'), `import { connect, greeterClient } from 'cloudrun-grpc';
const client = greeterClient(connect(process.argv[2], { insecure: true }));
client.SayHello({ name: 'JavaScript' }, (error, reply) => {
  console.log(error ? error.message : reply.message);
  client.close();
});
`);
  const { stdout } = await run(process.execPath, ['hello.mjs', server.address], { cwd: consumer });
  t.equal(stdout, 'Hello, JavaScript!\n');
});

t.test('npx cloudrun-grpc hello runs the installed bin', async (t) => {
  const { stdout } = await npm(['cloudrun-grpc', 'hello', '--insecure', server.address, 'Ada'], consumer, 'npx');
  t.equal(stdout, 'Hello, Ada!\n');
});
