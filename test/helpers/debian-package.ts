// A command from a Debian package a test needs (chromium, prometheus): found on
// PATH, or installed with apt-get where it is missing and the test runs as
// root, as .ci/run does before the tests; elsewhere the reason it cannot be had,
// for the test to skip with.
import { spawnSync } from 'node:child_process';

/** Within tap's 300 s per file (.taprc), with room for the test. */
const INSTALL_TIMEOUT_MS = 240_000;

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The path of the first of `commands` found, after installing Debian's `pkg` if none is. */
export function debianCommand(commands: readonly string[], pkg: string): { path: string } | { skip: string } {
  const find = (): string | undefined => commands.map(which).find((path) => path !== undefined);
  const found = find();
  if (found !== undefined) return { path: found };
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) {
    return { skip: `${commands[0]} is not installed and cannot be installed here (needs root and apt-get: apt-get install -y ${pkg})` };
  }
  const install = spawnSync('sh', ['-c', `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkg}`], {
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  const installed = find();
  if (installed !== undefined) return { path: installed };
  const why = install.error ? `${install.error.message} (within ${INSTALL_TIMEOUT_MS / 1000} s)` : (install.stderr ?? '').trim().split('\n').slice(-2).join(' ');
  return { skip: `${commands[0]} is not installed and apt-get could not install it: ${why}` };
}
