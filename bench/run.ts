// npm run bench [-- --quick]: the project's server (src/main.ts, access log on
// at the default level, stdout to a file) against a bare grpc-js Greeter
// (bench/baseline-server.ts), both as child processes on 127.0.0.1, driven by
// the load harness in this process with the same settings, in the same run.
// Prints a table and writes bench/results/bench-<time>.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, greeterClient } from '../src/client/connect.js';
import { DEFAULTS, type LoadPlan } from '../src/load/plan.js';
import { buildReport } from '../src/load/report.js';
import { openLoad } from '../src/load/runner.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const quick = process.argv.includes('--quick');
const durationMs = quick ? 1500 : 5000;
const warmupMs = quick ? 300 : 1000;
const coldStarts = quick ? 1 : 3;
/** Linux reports CPU time in clock ticks (USER_HZ), 100 per second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

type ServerKind = 'project' | 'baseline';
const KINDS: readonly ServerKind[] = ['project', 'baseline'];

interface Scenario {
  readonly name: string;
  readonly plan: Partial<LoadPlan> & Pick<LoadPlan, 'shape' | 'concurrency' | 'connections'>;
  /** The figure this scenario is about, from its report. */
  readonly figure: 'calls/s' | 'messages received/s' | 'messages sent/s';
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'unary c=1', plan: { shape: 'unary', concurrency: 1, connections: 1 }, figure: 'calls/s' },
  { name: 'unary c=16', plan: { shape: 'unary', concurrency: 16, connections: 4 }, figure: 'calls/s' },
  { name: 'unary c=128', plan: { shape: 'unary', concurrency: 128, connections: 4 }, figure: 'calls/s' },
  { name: 'server-streaming', plan: { shape: 'server', concurrency: 16, connections: 4, replies: 100 }, figure: 'messages received/s' },
  { name: 'client-streaming', plan: { shape: 'client', concurrency: 16, connections: 4, messages: 100 }, figure: 'messages sent/s' },
  { name: 'bidi round trips', plan: { shape: 'bidi', concurrency: 16, connections: 4, messages: 100 }, figure: 'messages received/s' },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

function spawnServer(kind: ServerKind, port: number): ChildProcess {
  if (kind === 'baseline') {
    return spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts', String(port)], { cwd: ROOT, stdio: 'ignore' });
  }
  mkdirSync(RESULTS, { recursive: true });
  const log = openSync(`${RESULTS}project-server.log`, 'a');
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function sayHello(port: number): Promise<void> {
  const client = greeterClient(connect(`127.0.0.1:${port}`, { insecure: true }));
  return new Promise<void>((resolve, reject) =>
    client.SayHello({ name: 'bench' }, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve())),
  ).finally(() => client.close());
}

/** Spawns a server and waits for its first successful call; returns it and the time that took. */
async function startServer(kind: ServerKind): Promise<{ child: ChildProcess; port: number; coldStartMs: number }> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawnServer(kind, port);
  const giveUpAt = spawnedAt + 60_000;
  while (!(await portOpen(port))) {
    if (performance.now() > giveUpAt || child.exitCode !== null) throw new Error(`${kind} server did not start listening on ${port}`);
    await sleep(5);
  }
  await sayHello(port);
  return { child, port, coldStartMs: performance.now() - spawnedAt };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
}

function rssMiB(pid: number): number {
  const kB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round((kB / 1024) * 10) / 10;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

interface ScenarioResult {
  readonly figure: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly serverCpuUsPerCall: number;
}

async function runScenario(scenario: Scenario, port: number, pid: number): Promise<ScenarioResult> {
  const plan: LoadPlan = {
    ...DEFAULTS,
    target: `127.0.0.1:${port}`,
    stop: { durationMs },
    rps: undefined,
    warmupMs,
    deadlineMs: 30_000,
    ...scenario.plan,
  };
  const load = await openLoad(plan, { insecure: true });
  const cpuBefore = cpuSeconds(pid);
  const report = buildReport(plan, await load.start().finished, {});
  const cpuAfter = cpuSeconds(pid);
  load.close();
  const figure = {
    'calls/s': report.rps,
    'messages received/s': report.messagesReceivedPerSecond,
    'messages sent/s': report.messagesSentPerSecond,
  }[scenario.figure];
  // The CPU delta covers the warm-up calls as well as the measured ones.
  const calls = report.count + report.warmupCalls;
  return {
    figure,
    p50Ms: report.latencyMs.p50,
    p99Ms: report.latencyMs.p99,
    errors: report.errors,
    serverCpuUsPerCall: Math.round(((cpuAfter - cpuBefore) * 1e6) / Math.max(1, calls)),
  };
}

const ratio = (project: number, baseline: number): number => (baseline === 0 ? NaN : Math.round((project / baseline) * 100) / 100);

async function main(): Promise<void> {
  console.log(`cloudrun-grpc bench${quick ? ' (quick)' : ''}: ${durationMs} ms per scenario after ${warmupMs} ms warm-up`);
  const coldStartMs: Record<ServerKind, number[]> = { project: [], baseline: [] };
  for (let i = 0; i < coldStarts; i++) {
    for (const kind of KINDS) {
      const started = await startServer(kind);
      coldStartMs[kind].push(started.coldStartMs);
      await stopServer(started.child);
    }
  }
  const servers = { project: await startServer('project'), baseline: await startServer('baseline') };
  const rows: { figure: string; project: number; baseline: number; ratio: number }[] = [];
  const scenarios: Record<string, Record<ServerKind, ScenarioResult>> = {};
  try {
    for (const scenario of SCENARIOS) {
      const results = {} as Record<ServerKind, ScenarioResult>;
      // Alternate which server goes first, so drift in the machine's load does not favour one.
      const order = SCENARIOS.indexOf(scenario) % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) {
        process.stdout.write(`  ${scenario.name} on ${kind}…\n`);
        results[kind] = await runScenario(scenario, servers[kind].port, servers[kind].child.pid!);
      }
      const { project, baseline } = results;
      scenarios[scenario.name] = results;
      rows.push({ figure: `${scenario.name}: ${scenario.figure}`, project: project.figure, baseline: baseline.figure, ratio: ratio(project.figure, baseline.figure) });
      if (scenario.plan.shape === 'unary') {
        rows.push({ figure: `${scenario.name}: p50 ms`, project: project.p50Ms, baseline: baseline.p50Ms, ratio: ratio(project.p50Ms, baseline.p50Ms) });
        rows.push({ figure: `${scenario.name}: p99 ms`, project: project.p99Ms, baseline: baseline.p99Ms, ratio: ratio(project.p99Ms, baseline.p99Ms) });
      }
      rows.push({
        figure: `${scenario.name}: server CPU µs/call`,
        project: project.serverCpuUsPerCall,
        baseline: baseline.serverCpuUsPerCall,
        ratio: ratio(project.serverCpuUsPerCall, baseline.serverCpuUsPerCall),
      });
    }
    const rss = { project: rssMiB(servers.project.child.pid!), baseline: rssMiB(servers.baseline.child.pid!) };
    rows.push({ figure: 'server RSS after the run, MiB', ...rss, ratio: ratio(rss.project, rss.baseline) });
    const cold = { project: Math.round(median(coldStartMs.project)), baseline: Math.round(median(coldStartMs.baseline)) };
    rows.push({ figure: `cold start ms (median of ${coldStarts})`, ...cold, ratio: ratio(cold.project, cold.baseline) });

    const width = Math.max(...rows.map((r) => r.figure.length));
    console.log(`\n${'figure'.padEnd(width)}  ${'project'.padStart(10)}  ${'baseline'.padStart(10)}  ${'ratio'.padStart(6)}`);
    for (const r of rows) {
      console.log(`${r.figure.padEnd(width)}  ${String(r.project).padStart(10)}  ${String(r.baseline).padStart(10)}  ${String(r.ratio).padStart(6)}`);
    }
    mkdirSync(RESULTS, { recursive: true });
    const file = `${RESULTS}bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
    writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), quick, durationMs, warmupMs, coldStartMs, rows, scenarios }, null, 2)}\n`);
    console.log(`\nwritten: ${file}`);
  } finally {
    await Promise.all([stopServer(servers.project.child), stopServer(servers.baseline.child)]);
  }
}

await main();
