// Spawns the real entry points (src/*.ts) as a user or the
// platform would, and cleans them up after the test.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { eventually, type LogLine } from './server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Spawned {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** stdout parsed as JSON log lines (non-JSON lines skipped). */
  readonly logs: () => LogLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for entry points, whose PORT must be 1–65535). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Node arguments that run a TypeScript entry point. Under tap, the same loader tap gave this test
 * process, so a child's coverage maps onto the sources exactly as ours does; elsewhere, tsx.
 */
export const TS_NODE_ARGS: readonly string[] = (() => {
  const tapLoader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps');
  return tapLoader.length > 0 ? tapLoader : ['--import', 'tsx'];
})();

/**
 * Runs a TypeScript entry point; `launcher` (command words before node, e.g. a namespace wrapper) defaults to
 * none, `node` (the Node binary) to the one running the tests.
 */
export function spawnEntry(
  t: Test,
  script: string,
  args: string[],
  env: Record<string, string>,
  launcher: readonly string[] = [],
  node = process.execPath,
): Spawned {
  const [command = node, ...launcherArgs] = [...launcher, node];
  const child = spawn(command, [...launcherArgs, ...TS_NODE_ARGS, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine),
    exited,
  };
}

/** Starts src/main.ts (on `node`, by default the Node running the tests) on a free loopback port and waits until it logs that it is listening. */
export async function spawnServer(t: Test, env: Record<string, string> = {}, node = process.execPath): Promise<Spawned & { address: string }> {
  const port = await freePort();
  const spawned = spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: String(port), ...env }, [], node);
  await eventually(() => spawned.logs().some((l) => l.port === port), 120_000, 'the server to listen');
  return { ...spawned, address: `127.0.0.1:${port}` };
}
