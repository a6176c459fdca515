// A stand-in for the image, where no container builder exists: pack the package as npm would
// publish it, unpack it beside the project's lockfile (as the Dockerfile's runtime stage copies
// package.json and package-lock.json), keep only the production dependencies, start it with the
// start script, and call SayHello. A runtime import of something in devDependencies, or a file
// missing from package.json "files", fails here. `npm run test:image` builds the real image.
//
// Offline and cache-free: the full tree `npm ci` installed is copied and `npm prune --omit=dev`
// removes what the lockfile marks dev-only, which is the set `npm ci --omit=dev` would leave.
// Installing from the registry instead would need network access, or registry metadata that
// `npm ci` never caches, so the test would pass only on a machine with a warm npm cache.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { helloworld } from '../../src/proto.js';
import { REPO_ROOT } from '../helpers/manifests.js';
import { freePort } from '../helpers/process.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Top-level packages the lockfile marks dev-only (a devDependency that a runtime dependency also needs is not). */
function devOnlyPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.keys(packageJson.devDependencies).filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
}

/** The outer `npm test` exports npm_* settings and tap exports NODE_OPTIONS loaders; neither belongs in the child. */
function cleanEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !/^(npm_|NODE_OPTIONS$|TAP)/i.test(name));
  return { ...Object.fromEntries(inherited), ...extra };
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or time runs out. */
function firstLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr()}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening; stderr: ${stderr()}`));
    });
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`server still running ${timeoutMs} ms after SIGTERM`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

t.test('the packed package, with production dependencies only, serves SayHello', async (t) => {
  // npm pack runs `prepare` (the build), so dist/ is fresh from src/.
  const packDir = temporaryDirectory(t, 'cloudrun-grpc-pack-');
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
    cwd: REPO_ROOT,
    env: cleanEnvironment(),
    timeout: 60_000,
    maxBuffer: 8 * 1024 * 1024,
  });
  const tarball = join(packDir, (JSON.parse(packed) as { filename: string }[])[0]!.filename);

  const installDir = temporaryDirectory(t, 'cloudrun-grpc-install-');
  await run('tar', ['-xzf', tarball, '-C', installDir, '--strip-components=1'], { timeout: 30_000 });
  await copyFile(join(REPO_ROOT, 'package-lock.json'), join(installDir, 'package-lock.json'));
  // cp -a: several times faster than fs.cp over node_modules' tens of thousands of files.
  await run('cp', ['-a', join(REPO_ROOT, 'node_modules'), join(installDir, 'node_modules')], { timeout: 120_000 });
  // An empty npm cache of its own and --offline: nothing may come from the registry or an earlier run.
  const npmCache = temporaryDirectory(t, 'cloudrun-grpc-npm-cache-');
  await run('npm', ['prune', '--omit=dev', '--ignore-scripts', '--offline', '--cache', npmCache, '--no-audit', '--no-fund'], {
    cwd: installDir,
    env: cleanEnvironment(),
    timeout: 60_000,
  }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`npm prune --omit=dev failed: ${error.stderr ?? error.message}`);
  });
  const installedDevOnly = devOnlyPackages().filter((dev) => existsSync(join(installDir, 'node_modules', dev)));
  t.same(installedDevOnly, [], 'no dev-only package is left');

  const port = await freePort();
  const [command, ...args] = packageJson.scripts.start!.split(' ');
  t.equal(command, 'node', 'the start script runs node directly');
  let stderr = '';
  const server = spawn(process.execPath, args, {
    cwd: installDir,
    env: cleanEnvironment({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  const listening = JSON.parse(await firstLine(server, /Greeter listening/, 15_000, () => stderr)) as { port: number };
  t.equal(listening.port, port, 'listens on PORT');

  const client = new helloworld.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const reply = await new Promise<{ message: string }>((resolve, reject) =>
    client.SayHello({ name: 'Ada' }, { deadline: Date.now() + 10_000 }, (error, response) =>
      error ? reject(error) : resolve(response!),
    ),
  );
  t.match(reply.message, /Ada/, 'SayHello answers');

  server.kill('SIGTERM');
  t.equal(await exited(server, 15_000), 0, 'SIGTERM drains and exits 0');
});
