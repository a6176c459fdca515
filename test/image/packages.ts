// Debian packages the image test needs and a machine may lack (podman, runc, debootstrap, nginx),
// installed with apt where this is a root Debian machine. Each answer says why when it cannot.
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

export async function onPath(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Why apt cannot install here, or undefined when it can. */
async function aptUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'installing packages needs root';
  if (!(await onPath('apt-get'))) return 'apt-get is not on PATH (not a Debian machine)';
  return undefined;
}

/** Runs `apt-get <args>`, refreshing the package lists once if the first attempt fails (a fresh machine has none). */
async function aptGet(args: string[], cwd?: string): Promise<void> {
  const attempt = () => run('apt-get', ['-q', ...args], { env: APT_ENV, cwd, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  await attempt().catch(async () => {
    await run('apt-get', ['-q', 'update'], { env: APT_ENV, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    await attempt();
  });
}

/** Installs the packages whose commands are missing; rejects saying why when it cannot. */
export async function installCommands(commands: Record<string, string>): Promise<void> {
  const missing: string[] = [];
  for (const [command, debianPackage] of Object.entries(commands)) if (!(await onPath(command))) missing.push(debianPackage);
  await installPackages(missing);
}

/** Installs Debian packages `missing` (none: nothing to do); rejects saying why when it cannot. */
export async function installPackages(missing: string[]): Promise<void> {
  if (missing.length === 0) return;
  const unavailable = await aptUnavailable();
  if (unavailable) throw new Error(`${missing.join(', ')} missing and ${unavailable}`);
  await aptGet(['install', '-y', '--no-install-recommends', ...missing]).catch((error: Error & { stderr?: string }) => {
    throw new Error(`apt-get install ${missing.join(' ')} failed: ${error.stderr?.trim() || error.message}`);
  });
}

/**
 * Unpacks Debian package `name` into `dir` without installing it: for a daemon such as nginx,
 * whose installation would start a system service, when only its binary is wanted.
 * Resolves to the unpacked tree.
 */
export async function unpackPackage(name: string, dir: string): Promise<string> {
  const unavailable = (await onPath('apt-get')) ? undefined : 'apt-get is not on PATH (not a Debian machine)';
  if (unavailable) throw new Error(`${name} missing and ${unavailable}`);
  await mkdir(dir, { recursive: true });
  await aptGet(['download', name], dir).catch((error: Error & { stderr?: string }) => {
    throw new Error(`apt-get download ${name} failed: ${error.stderr?.trim() || error.message}`);
  });
  const deb = (await readdir(dir)).find((file) => file.startsWith(`${name}_`) && file.endsWith('.deb'));
  if (deb === undefined) throw new Error(`apt-get download ${name} left no .deb in ${dir}`);
  const tree = join(dir, 'root');
  await run('dpkg-deb', ['-x', join(dir, deb), tree]);
  return tree;
}
