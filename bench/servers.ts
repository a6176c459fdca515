// What every benchmark needs from the servers it measures: start the project's
// server (src/main.ts, as shipped, logs to a file) or the bare grpc-js baseline
// (bench/baseline-server.ts) as a child process on 127.0.0.1, time its cold
// start, read its CPU time and memory from /proc, stop it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { availableParallelism } from 'node:os';
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

/** CPUs the servers are pinned to (taskset -c), once pinGeneratorApart() has run; undefined: not pinned. */
let serverCpus: string | undefined;

const hasCommand = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

/**
 * Where taskset exists and there are 2+ CPUs: servers started from now on run on CPU 0, and this process
 * (the load generator, its worker threads included) on the others, so that neither takes the other's CPU.
 * Returns the CPUs of each, or undefined when nothing was pinned.
 */
export function pinGeneratorApart(): { server: string; generator: string } | undefined {
  const cpus = availableParallelism();
  if (cpus < 2 || !hasCommand('taskset')) return undefined;
  const generator = cpus === 2 ? '1' : `1-${cpus - 1}`;
  if (spawnSync('taskset', ['-a', '-p', '-c', generator, String(process.pid)]).status !== 0) return undefined;
  serverCpus = '0';
  return { server: serverCpus, generator };
}

/** The command line of a Node process, under taskset when the servers are pinned. */
function nodeCommand(args: string[]): [string, string[]] {
  return serverCpus === undefined ? [process.execPath, args] : ['taskset', ['-c', serverCpus, process.execPath, ...args]];
}

export interface H2loadRun {
  readonly callsPerSecond: number;
  readonly succeeded: number;
  /** h2load's own CPU over the run (user + system), per call, in µs. */
  readonly cpuUsPerCall: number;
}

export const h2loadInstalled = (): boolean => hasCommand('h2load');

/**
 * h2load driving unary calls: `body` (a framed gRPC request) POSTed to `path` over `connections` connections
 * with `streams` in flight on each, for `seconds` after a 1 s warm-up, on the generator's CPUs. h2load counts
 * HTTP 200s, not gRPC statuses: the harness's own run beside it checks those.
 */
export function runH2load(address: string, path: string, body: Buffer, connections: number, streams: number, seconds: number): H2loadRun {
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}h2load-request.bin`;
  writeFileSync(file, body);
  const h2load = ['h2load', '-c', String(connections), '-m', String(streams), '-D', String(seconds), '--warm-up-time=1', '-d', file,
    '-H', "'content-type: application/grpc'", '-H', "'te: trailers'", `http://${address}${path}`].join(' ');
  // `times` prints the shell's children's CPU (h2load's) on its second line.
  const result = spawnSync('sh', ['-c', `${h2load}; times`], { encoding: 'utf8' });
  const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(result.stdout)?.[1] ?? NaN);
  const succeeded = Number(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(result.stdout)?.[1] ?? NaN);
  const times = result.stdout.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g) ?? [];
  const seconds_ = times.map((t) => {
    const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
    return Number(m) * 60 + Number(sec);
  });
  const cpu = (seconds_[0] ?? NaN) + (seconds_[1] ?? NaN);
  return { callsPerSecond: rps, succeeded, cpuUsPerCall: Math.round((cpu * 1e6 * 10) / Math.max(1, succeeded)) / 10 };
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
    const [command, args] = nodeCommand(['--import', 'tsx', 'bench/baseline-server.ts', String(port)]);
    child = spawn(command, args, { cwd: ROOT, stdio: 'ignore' });
  } else {
    mkdirSync(RESULTS, { recursive: true });
    const log = openSync(`${RESULTS}${logName}.log`, 'a');
    const [command, args] = nodeCommand(['--import', 'tsx', 'src/main.ts']);
    child = spawn(command, args, {
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
