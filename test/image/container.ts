// Runs the image as a platform would under a contract (env, PORT, securityContext, limits),
// reachable on 127.0.0.1 only, and removes the container when the test ends.
import type { Test } from 'tap';
import type { LogLine } from '../helpers/server.js';
import { freePort } from '../helpers/process.js';
import { limitArgs, securityArgs, type Contract } from './contract.js';
import type { Engine } from './engine.js';

export interface Container {
  readonly name: string;
  /** 127.0.0.1:<port> where the container's port answers. */
  readonly address: string;
  /** performance.now() when `run` was started: the cold start is measured from here. */
  readonly startedAt: number;
  /** Why the contract's limits could not be applied here (cgroups); undefined when they were. */
  readonly limitsSkipped?: string;
  /** The server's JSON log lines so far (stdout). */
  logs(): Promise<LogLine[]>;
  /** Runs `node -e script` inside the container as its user; resolves to stdout. */
  node(script: string): Promise<string>;
  /** `stop -t seconds` (SIGTERM, then SIGKILL when the time is up); resolves to the exit code. */
  stop(seconds: number): Promise<number>;
}

const NAME_PREFIX = 'cloudrun-grpc-image-test-';
let containers = 0;

/** Removes containers an interrupted earlier run left behind (only this test's, by their name prefix). */
export async function removeLeftoverContainers(engine: Engine): Promise<void> {
  const ids = (await engine.exec(['ps', '--all', '--quiet', '--filter', `name=${NAME_PREFIX}`])).split('\n').filter(Boolean);
  if (ids.length > 0) await engine.exec(['rm', '--force', ...ids]);
}

export async function runUnderContract(t: Test, engine: Engine, image: string, contract: Contract, extraEnv: Record<string, string> = {}): Promise<Container> {
  const name = `${NAME_PREFIX}${process.pid}-${++containers}`;
  const hostPort = await freePort();
  const network = engine.network(contract.containerPort, hostPort);
  const env = { ...contract.env, ...extraEnv, ...network.env };
  const base = ['run', '--detach', '--name', name, ...network.args, ...securityArgs(engine, contract), ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`])];
  t.teardown(() => engine.exec(['rm', '--force', name]).then(() => undefined, () => undefined));

  let startedAt = performance.now();
  let limitsSkipped: string | undefined;
  try {
    await engine.exec([...base, ...limitArgs(contract), image]);
  } catch (error) {
    // Where the machine's cgroups cannot enforce a limit, run without it and say so.
    if (limitArgs(contract).length === 0 || !/cgroup|memory|cpu/i.test((error as Error).message)) throw error;
    limitsSkipped = (error as Error).message;
    await engine.exec(['rm', '--force', name]).catch(() => undefined);
    startedAt = performance.now();
    await engine.exec([...base, image]);
  }

  return {
    name,
    address: `127.0.0.1:${hostPort}`,
    startedAt,
    limitsSkipped,
    async logs() {
      const out = await engine.exec(['logs', name]);
      return out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
    },
    node: (script) => engine.exec(['exec', name, 'node', '-e', script]),
    async stop(seconds) {
      await engine.exec(['stop', '--time', String(seconds), name], (seconds + 30) * 1000);
      return Number((await engine.exec(['inspect', '--format', '{{.State.ExitCode}}', name])).trim());
    },
  };
}
