// The CLI as a user runs it: a child process of `node src/cli.ts` (with the TypeScript loader),
// killed after the test if still running.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import type { Test } from 'tap';
import { main } from '../../src/cli.js';
import type { CommandIO } from '../../src/cli/command.js';
import { freePort, TS_NODE_ARGS } from './process.js';
import { eventually } from './server.js';

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  /** What it has printed so far. */
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code (or the signal's name); rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | string>;
  /** Resolves once stdout holds `lines` lines. */
  stdoutLines(lines: number): Promise<string[]>;
}

export interface CliResult {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `cloudrun-grpc args…` with `env` added to this process's environment. */
export function spawnCli(t: Test, args: string[], env: Record<string, string | undefined> = {}, entry = 'src/cli.ts'): CliRun {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, entry, ...args], { env: { ...process.env, ...env } });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exit = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    output,
    exited: (timeoutMs = 20_000) =>
      Promise.race([
        exit,
        new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new Error(`cloudrun-grpc ${args.join(' ')} still running after ${timeoutMs} ms`)), timeoutMs).unref(),
        ),
      ]),
    async stdoutLines(lines) {
      await eventually(() => output.stdout.split('\n').length > lines, 20_000, `${lines} lines of output`);
      return output.stdout.split('\n').slice(0, lines);
    },
  };
}

/** Runs `cloudrun-grpc args…` to the end, with `stdin` as its input. */
export async function runCli(t: Test, args: string[], options: { stdin?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  const run = spawnCli(t, args, options.env);
  run.child.stdin.end(options.stdin ?? '');
  const code = await run.exited(options.timeoutMs);
  return { code, ...run.output };
}

/** A 127.0.0.1 port that was just free: bound, then closed (nothing listens there now). */
export const closedPort = freePort;

/** Runs `cloudrun-grpc args…` in this process (src/cli.ts main) over memory: what a spawned run prints, without the start-up. */
export async function runCliInProcess(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const { io, output } = memoryIo(options.stdin, options.env);
  const code = await main(args, io);
  return { code, ...output };
}

/** CommandIO over memory, for running a Command in this process. */
export function memoryIo(stdin = '', env: Record<string, string | undefined> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const output = { stdout: '', stderr: '' };
  stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const io: CommandIO = { stdin: Readable.from([stdin]), stdout, stderr, env };
  return { io, output };
}
