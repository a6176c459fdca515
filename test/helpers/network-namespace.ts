// A private network namespace for a test process: its only interface is loopback, so a server that listens
// on every interface (as @grpc/grpc-js-xds's XdsServer does, whatever host it is given) can reach nothing
// else. `unshare --net` (util-linux) needs root, as on the dev machine and in CI; a new namespace's loopback
// starts down, so `ip` (iproute2) brings it up before the command runs.
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';
import { spawnEntry, type Spawned } from './process.js';

/** Command words that run "$0" "$@" in a new network namespace with loopback up. */
const LAUNCHER = ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"'] as const;

/** Why a private network namespace cannot be made here, or undefined when it can (tried once, with `true`). */
export const privateNetworkUnavailable: string | undefined = (() => {
  const [command, ...args] = LAUNCHER;
  const probe = spawnSync(command, [...args, 'true'], { encoding: 'utf8' });
  if (probe.error) return `cannot run unshare (util-linux): ${probe.error.message}`;
  if (probe.status !== 0) return `cannot make a private network namespace with loopback up: ${probe.stderr.trim()}`;
  return undefined;
})();

/** spawnEntry, inside a fresh private network namespace (check privateNetworkUnavailable first). */
export function spawnInPrivateNetwork(t: Test, script: string, args: string[], env: Record<string, string> = {}): Spawned {
  return spawnEntry(t, script, args, env, LAUNCHER);
}
