// What every benchmark needs from the servers it measures: start the project's
// server (src/main.ts, as shipped, logs to a file) or the bare grpc-js baseline
// (bench/baseline-server.ts) as a child process on 127.0.0.1, time its cold
// start, read its CPU time and memory from /proc, stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, greeterClient } from '../src/client/connect.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
/** /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ), 100 per second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

export type ServerKind = 'project' | 'baseline';

export interface BenchServer {
  readonly kind: ServerKind;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly address: string;
  /** Process spawn to the first successful SayHello. */
  readonly coldStartMs: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function sayHelloOnce(port: number): Promise<void> {
  const client = greeterClient(connect(`127.0.0.1:${port}`, { insecure: true }));
  return new Promise<void>((resolve, reject) =>
    client.SayHello({ name: 'bench' }, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve())),
  ).finally(() => client.close());
}

/**
 * Spawns a server and waits for its first successful call. The project's server runs src/main.ts with
 * `env` on top of its defaults, its log lines appended to bench/results/<logName>.log (stdout redirected to
 * a file, as the measurements ask).
 */
export async function startServer(kind: ServerKind, env: Record<string, string> = {}, logName = 'project-server'): Promise<BenchServer> {
  const port = await freePort();
  const spawnedAt = performance.now();
  let child: ChildProcess;
  if (kind === 'baseline') {
    child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts', String(port)], { cwd: ROOT, stdio: 'ignore' });
  } else {
    mkdirSync(RESULTS, { recursive: true });
    const log = openSync(`${RESULTS}${logName}.log`, 'a');
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    });
  }
  const giveUpAt = spawnedAt + 60_000;
  while (!(await portOpen(port))) {
    if (performance.now() > giveUpAt || child.exitCode !== null) throw new Error(`${kind} server did not start listening on ${port}`);
    await sleep(5);
  }
  await sayHelloOnce(port);
  const coldStartMs = performance.now() - spawnedAt;
  return { kind, child, pid: child.pid!, port, address: `127.0.0.1:${port}`, coldStartMs, stop: () => stopProcess(child) };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/**
 * CPU time a process has used, in seconds: the time each of its threads has run (`/proc/<pid>/task/<tid>/
 * schedstat`, nanoseconds), summed. `/proc/<pid>/stat` counts in clock ticks of 10 ms, too coarse for a
 * few seconds of a server at a fraction of a core. A thread that exits takes its time with it; a Node
 * server's threads (main, libuv pool, V8 platform) live as long as the process. Falls back to
 * /proc/<pid>/stat (user + system) where schedstat is missing.
 */
export function cpuSeconds(pid: number): number {
  if (existsSync(`/proc/${pid}/schedstat`)) {
    let nanoseconds = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited after the listing
      }
    }
    return nanoseconds / 1e9;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
}

/** CPU time of several processes (a cluster primary and its workers), in seconds. */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** The process ids of `pid`'s live child processes (cluster workers). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * The machine's CPU time so far, all cores, in clock ticks: `total`, and `stolen` (a virtual machine's time
 * the hypervisor gave to other guests). Stolen time that comes and goes is noise no pairing removes.
 */
export function machineTicks(): { total: number; stolen: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((sum, n) => sum + n, 0), stolen: fields[7] ?? 0 }; // user … softirq, steal
}

export function rssMiB(pid: number): number {
  const kB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kB / 1024) * 10) / 10;
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export const ratio = (value: number, baseline: number): number => (baseline === 0 ? NaN : Math.round((value / baseline) * 100) / 100);

/** Writes `data` as bench/results/<name>-<time>.json and returns the path. */
export function writeResults(name: string, data: unknown): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
