// What every benchmark needs from the servers it measures: start the project's
// server (src/main.ts under tsx, or dist/main.js as it ships; logs to a file) or
// the bare grpc-js baseline (bench/baseline-server.ts, under tsx or compiled) as
// a child process on 127.0.0.1, time its cold start, read its CPU time and
// memory from /proc, stop it; drive it with h2load.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { connect, greeterClient } from '../src/client/connect.js';
import { SATURATED } from '../src/load/usage.js';

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

/** The command line of a Node process, under taskset when `cpus` are given. */
function nodeCommand(args: string[], cpus = serverCpus): [string, string[]] {
  return cpus === undefined ? [process.execPath, args] : ['taskset', ['-c', cpus, process.execPath, ...args]];
}

export interface H2loadRun {
  readonly callsPerSecond: number;
  readonly succeeded: number;
  /** h2load's own CPU over the run (user + system), per call, in µs. */
  readonly cpuUsPerCall: number;
  /** Cores h2load ran, or was ready to run and waited for, over the run: near 1, it was the bottleneck. */
  readonly busyCores: number;
  /** h2load was (or wanted to be) busy at least SATURATED of the time: its figures describe it, not the server. */
  readonly saturated: boolean;
}

export const h2loadInstalled = (): boolean => hasCommand('h2load');

export interface H2loadPlan {
  /** The method's path, /package.Service/Method. */
  readonly path: string;
  /** The request body: one or more gRPC-framed messages, sent whole, then the end of the stream. */
  readonly body: Buffer;
  readonly connections: number;
  /** Streams in flight on each connection. */
  readonly streams: number;
  /** Measured seconds, after `warmupSeconds` unmeasured. */
  readonly seconds: number;
  readonly warmupSeconds?: number;
  /** The CPUs to run h2load on (taskset -c); this process's by default. */
  readonly cpus?: string;
}

/**
 * Running and waiting time so far of each thread of `pid`, in ns, by thread id (`/proc/<pid>/task/<tid>/schedstat`).
 * A thread that exits after the listing is left out; throws if the process has gone.
 */
function schedule(pid: number): Map<string, [running: number, waiting: number]> {
  const threads = new Map<string, [number, number]>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      threads.set(tid, [run ?? 0, wait ?? 0]);
    } catch {
      // the thread exited after the listing
    }
  }
  return threads;
}

/**
 * A process's threads' running and waiting time, sampled while it runs. Each thread's last sample is kept after
 * it exits: h2load's work is done by a thread that exits before the process does, and summing only the threads
 * alive at each sample read it as next to nothing (its last sample less its first: zero or below).
 */
class ThreadTimes {
  private readonly first = new Map<string, [number, number]>();
  private readonly last = new Map<string, [number, number]>();
  private firstAt = 0;
  private lastAt = 0;

  sample(pid: number): void {
    let threads: Map<string, [number, number]>;
    try {
      threads = schedule(pid);
    } catch {
      return; // exited
    }
    if (threads.size === 0) return;
    const now = performance.now();
    const sampledBefore = this.lastAt > 0;
    for (const [tid, times] of threads) {
      // A thread that appeared after the first sample did all its work since then.
      if (!this.first.has(tid)) this.first.set(tid, sampledBefore ? [0, 0] : times);
      this.last.set(tid, times);
    }
    if (!sampledBefore) this.firstAt = now;
    this.lastAt = now;
  }

  /** Cores run or waited for between the first sample and the last; NaN with fewer than two samples. */
  busyCores(): number {
    const spanMs = this.lastAt - this.firstAt;
    if (spanMs <= 0) return NaN;
    let ns = 0;
    for (const [tid, [running, waiting]] of this.last) {
      const [running0, waiting0] = this.first.get(tid)!;
      ns += running - running0 + waiting - waiting0;
    }
    return ns / 1e6 / spanMs;
  }

  /** Running time of every thread, in µs, as of each one's last sample; NaN if never sampled. */
  runningUs(): number {
    if (this.last.size === 0) return NaN;
    let ns = 0;
    for (const [running] of this.last.values()) ns += running;
    return ns / 1e3;
  }
}

let bodies = 0;

/**
 * h2load (on this process's CPUs) POSTing `plan.body` to `plan.path`: calls/s over the measured seconds, and
 * what it cost h2load, read from /proc every 100 ms while it runs. h2load counts HTTP 200s, not gRPC statuses:
 * check a call of the same request with a gRPC client first (bench/server-saturation.ts does).
 */
export function runH2load(address: string, plan: H2loadPlan): Promise<H2loadRun> {
  mkdirSync(RESULTS, { recursive: true });
  bodies += 1;
  const file = `${RESULTS}h2load-request-${process.pid}-${bodies}.bin`;
  writeFileSync(file, plan.body);
  const warmup = plan.warmupSeconds ?? 1;
  const args = ['-c', String(plan.connections), '-m', String(plan.streams), '-D', String(plan.seconds), ...(warmup > 0 ? [`--warm-up-time=${warmup}`] : []),
    '-d', file, '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://${address}${plan.path}`];
  return new Promise((resolve, reject) => {
    const [command, argv] = plan.cpus === undefined ? ['h2load', args] : ['taskset', ['-c', plan.cpus, 'h2load', ...args]];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const times = new ThreadTimes();
    const poll = setInterval(() => times.sample(child.pid!), 100);
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(poll);
      rmSync(file, { force: true });
      const rps = Number(/finished in [\d.]+s, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? NaN);
      const succeeded = Number(/requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(stdout)?.[1] ?? NaN);
      if (!Number.isFinite(rps)) process.stderr.write(`h2load against ${address}${plan.path} gave no figures: ${stdout.trim().split('\n').slice(-3).join(' | ')}\n`);
      const busyCores = times.busyCores();
      const cpuUs = times.runningUs();
      resolve({
        callsPerSecond: rps,
        succeeded,
        // Its CPU covers the warm-up too, and so do the calls counted here.
        cpuUsPerCall: Math.round((cpuUs * 10) / Math.max(1, rps * (plan.seconds + (plan.warmupSeconds ?? 1)))) / 10,
        busyCores: Math.round(busyCores * 100) / 100,
        saturated: busyCores >= SATURATED,
      });
    });
  });
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

export function portOpen(port: number): Promise<boolean> {
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
 * bench/baseline-server.ts as JavaScript, in `dir` laid out like the repository (bench/, with proto/ and
 * node_modules/ linked), so that its `../proto/` and package imports resolve: the baseline without a
 * TypeScript loader, as a bare grpc-js server runs. Returns the file to run.
 */
export function compileBaseline(dir: string): string {
  mkdirSync(join(dir, 'bench'), { recursive: true });
  for (const linked of ['proto', 'node_modules']) {
    if (!existsSync(join(dir, linked))) symlinkSync(join(ROOT, linked), join(dir, linked));
  }
  const source = readFileSync(join(ROOT, 'bench/baseline-server.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(dir, 'bench/baseline-server.mjs');
  writeFileSync(file, outputText);
  return file;
}

let compiledBaseline: string | undefined;

export interface StartOptions {
  /**
   * Both servers as they run outside this repository: the project's `node dist/main.js` (build first) and
   * the baseline compiled to JavaScript. Otherwise both run from source under `node --import tsx`.
   */
  readonly shipped?: boolean;
  /** The CPUs to run it on (taskset -c), in place of the servers' (pinGeneratorApart). */
  readonly cpus?: string;
}

/**
 * Spawns a server and waits for its first successful call. The project's server runs with `env` on top of
 * its defaults, its log lines appended to bench/results/<logName>.log (stdout redirected to a file, as the
 * issue's measurements ask).
 */
export async function startServer(
  kind: ServerKind,
  env: Record<string, string> = {},
  logName = 'project-server',
  { shipped = false, cpus = serverCpus }: StartOptions = {},
): Promise<BenchServer> {
  const port = await freePort();
  let child: ChildProcess;
  if (kind === 'baseline') {
    compiledBaseline ??= shipped ? compileBaseline(`${RESULTS}baseline/`) : undefined;
    const [command, args] = nodeCommand(shipped ? [compiledBaseline!, String(port)] : ['--import', 'tsx', 'bench/baseline-server.ts', String(port)], cpus);
    child = spawn(command, args, { cwd: ROOT, stdio: 'ignore' });
  } else {
    mkdirSync(RESULTS, { recursive: true });
    const log = openSync(`${RESULTS}${logName}.log`, 'a');
    const [command, args] = nodeCommand(shipped ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'], cpus);
    child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    });
  }
  const giveUpAt = performance.now() + 60_000;
  while (!(await portOpen(port))) {
    if (performance.now() > giveUpAt || child.exitCode !== null) throw new Error(`${kind} server did not start listening on ${port}`);
    await sleep(5);
  }
  await sayHelloOnce(port);
  return { kind, child, pid: child.pid!, port, address: `127.0.0.1:${port}`, stop: () => stopProcess(child) };
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
    for (const [running] of schedule(pid).values()) nanoseconds += running;
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

/** The number after `flag` on the command line; `fallback` when the flag is absent or its value is not a number or 0. */
export function numberFlag(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return (at === -1 ? NaN : Number(process.argv[at + 1])) || fallback;
}

/** CPU `seconds` spread over `count` calls or messages, in µs to one decimal (NaN-free: at least one). */
export function usPer(seconds: number, count: number): number {
  return Math.round((seconds * 1e6 * 10) / Math.max(1, count)) / 10;
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
