// npm run bench [-- --quick] [-- --runs N] [-- --windows N]: the project's server (src/main.ts,
// stdout to a file) in three configurations against a bare grpc-js Greeter
// (bench/baseline-server.ts), all as child processes on 127.0.0.1, driven by
// the load harness in this process with the same settings, in the same run:
//   baseline again     a second bare Greeter: its ratio shows the noise alone
//   project            the default configuration: access log on (LOG_LEVEL=info)
//   project, log off   LOG_LEVEL=warn: the access line of a successful call is off
//   project, 2 workers WORKERS=2 (CPU counted over the primary and both workers)
// Each scenario runs on one server after another: throughput, latency, CPU. Then
// the paired scenarios run on every server at once, at a fixed rate each, in 3
// windows per run (rotating the servers' order): CPU per call or message, the
// steadier figure. Every figure is the median of --runs runs (default 3; fresh
// servers each run, warmed up unmeasured) or of the paired windows, shown with its
// ratio to the baseline: the median of the runs' (windows') own ratios. Paired rows
// also show the middle half of the windows' ratios, so the noise is in the table.
// Then saturation (alone with --saturation): unary c=16 over 4 connections,
// closed loop, against the baseline and the project: the harness's lean http2
// driver, its grpc-js driver and 2 workers beside h2load (where installed) with
// the same request bytes, and a bare node:http2 loop sending them (the floor
// under the http2 driver): calls/s and CPU per call of generator and server.
// Then overload: 100 ms server-streaming calls at concurrency 128 against
// MAX_CONCURRENT_CALLS=64 (2× the limit) and against no limit: throughput,
// latency and error rate.
// Then (alone with --server) the server at saturation, as it ships, paired with
// bare grpc-js on one core (bench/server-saturation.ts): unary calls/s and CPU
// per call, CPU per message of each streaming shape, WORKERS=2 against 1; and
// cold start (bench/cold-start.ts): exec → first OK SayHello of dist/main.js.
// Where taskset exists, servers run on CPU 0 and this process (the generator)
// on the others. A figure marked * came from a run whose generator said it was
// saturated: it describes the generator, not the server.
// Prints tables and writes bench/results/bench-<time>.json.
import { availableParallelism, loadavg } from 'node:os';
import { GREETER_SERVICE, packageDefinition } from '../src/proto.js';
import { DEFAULTS, requestFor, type DriverName, type LoadPlan } from '../src/load/plan.js';
import { buildReport, type LoadReport } from '../src/load/report.js';
import { openLoad } from '../src/load/runner.js';
import { frameMessage } from '../src/load/wire/framing.js';
import { openWorkers } from '../src/load/workers.js';
import { measureColdStarts, type Start } from './cold-start.js';
import { http2Floor } from './http2-floor.js';
import { pairedSaturation, serverVariants, TRACING_VARIANT, WORKLOADS, workersSaturation, type WindowFigure } from './server-saturation.js';
import {
  childPids, cpuSecondsOf, h2loadInstalled, machineTicks, median, pinGeneratorApart, ratio, rssMiB, runH2load, startServer, usPer, writeResults,
  type BenchServer, type ServerKind,
} from './servers.js';

const quick = process.argv.includes('--quick');
/** Only the saturation section: the generator's headroom against h2load, the drivers and --workers. */
const saturationOnly = process.argv.includes('--saturation');
/** Only the server-side section: the server at saturation against bare grpc-js, and cold start. */
const serverOnly = process.argv.includes('--server');
/** The server-side section also pairs the project with tracing on (every call sampled, exported over OTLP). */
const tracing = process.argv.includes('--tracing');
const SERVER_VARIANTS = serverVariants(tracing);
const windowsArg = process.argv.indexOf('--windows');
/** Paired windows per server and workload at saturation: the targets are judged on these. */
const WINDOWS = windowsArg > 0 ? Number(process.argv[windowsArg + 1]) : quick ? 1 : 5;
const WINDOW_SECONDS = quick ? 2 : 4;
/** Cold starts per server. */
const COLD_STARTS = quick ? 3 : 11;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 1 : 3;
const durationMs = quick ? 1000 : 3000;
const warmupMs = quick ? 200 : 500;

interface Variant {
  readonly name: string;
  readonly kind: ServerKind;
  readonly env: Record<string, string>;
}

const VARIANTS: readonly Variant[] = [
  { name: 'baseline', kind: 'baseline', env: {} },
  // A second, identical baseline: how far its ratio strays from 1.00 is how much noise moves any ratio.
  { name: 'baseline again', kind: 'baseline', env: {} },
  { name: 'project', kind: 'project', env: {} },
  { name: 'project, log off', kind: 'project', env: { LOG_LEVEL: 'warn' } },
  { name: 'project, 2 workers', kind: 'project', env: { WORKERS: '2' } },
];

interface Scenario {
  readonly name: string;
  readonly plan: Partial<LoadPlan> & Pick<LoadPlan, 'shape' | 'concurrency' | 'connections'>;
  /** The throughput figure this scenario is about, from its report. */
  readonly figure: 'calls/s' | 'messages received/s' | 'messages sent/s';
  /** Messages per call, so that CPU can be given per message for the streaming shapes. */
  readonly messagesPerCall: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'unary c=1', plan: { shape: 'unary', concurrency: 1, connections: 1 }, figure: 'calls/s', messagesPerCall: 1 },
  { name: 'unary c=16', plan: { shape: 'unary', concurrency: 16, connections: 4 }, figure: 'calls/s', messagesPerCall: 1 },
  { name: 'unary c=128', plan: { shape: 'unary', concurrency: 128, connections: 4 }, figure: 'calls/s', messagesPerCall: 1 },
  // A fixed rate that every variant can carry: each server gets the same arrivals, so CPU per call compares the
  // work done per call. A closed loop lets a faster server batch more per turn, which moves CPU per call too.
  { name: 'unary 1000/s', plan: { shape: 'unary', concurrency: 128, connections: 4, rps: 1000 }, figure: 'calls/s', messagesPerCall: 1 },
  { name: 'server-streaming', plan: { shape: 'server', concurrency: 16, connections: 4, replies: 100 }, figure: 'messages received/s', messagesPerCall: 100 },
  { name: 'client-streaming', plan: { shape: 'client', concurrency: 16, connections: 4, messages: 100 }, figure: 'messages sent/s', messagesPerCall: 100 },
  { name: 'bidi round trips', plan: { shape: 'bidi', concurrency: 16, connections: 4, messages: 100 }, figure: 'messages received/s', messagesPerCall: 100 },
];

/**
 * CPU per call or message, paired: every server takes the same fixed rate at the same time, so whatever else
 * the machine does in those seconds lands on all of them alike. In the 5-run bench the README shows, the second
 * baseline's CPU per unary call came to 0.93–1.04× the first's in the 15 paired windows, and to 0.89–1.61× per
 * run one after another (the scenarios above). The streaming windows, with fewer calls each, spread wider
 * (0.72–1.36×). Rates keep each server well under a core and the load generator under its own.
 */
const PAIRED: readonly Scenario[] = [
  { name: 'unary at 400 calls/s', plan: { shape: 'unary', concurrency: 64, connections: 2, rps: 400 }, figure: 'calls/s', messagesPerCall: 1 },
  {
    name: 'server-streaming at 50 calls/s',
    plan: { shape: 'server', concurrency: 64, connections: 2, rps: 50, replies: 100 },
    figure: 'messages received/s',
    messagesPerCall: 100,
  },
  {
    name: 'client-streaming at 50 calls/s',
    plan: { shape: 'client', concurrency: 64, connections: 2, rps: 50, messages: 100 },
    figure: 'messages sent/s',
    messagesPerCall: 100,
  },
  {
    name: 'bidi round trips at 20 calls/s',
    plan: { shape: 'bidi', concurrency: 64, connections: 2, rps: 20, messages: 100 },
    figure: 'messages received/s',
    messagesPerCall: 100,
  },
];

/** Windows per run of each paired scenario: the CPU target is judged on these, so they get the most samples. */
const PAIRED_WINDOWS = quick ? 1 : 3;

const WARM_UP: Scenario = { name: 'warm-up', plan: { shape: 'unary', concurrency: 16, connections: 4 }, figure: 'calls/s', messagesPerCall: 1 };

interface Measurement {
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
  /** Server CPU per call (unary) or per message (streaming), in µs. */
  readonly cpuUs: number;
  /** The load generator was the bottleneck (its report said so): the figure describes the generator. */
  readonly saturated: boolean;
}

function plan(target: string, scenario: Pick<Scenario, 'plan'>): LoadPlan {
  return { ...DEFAULTS, target, connection: { insecure: true }, stop: { durationMs }, rps: undefined, warmupMs, deadlineMs: 30_000, ...scenario.plan };
}

/** The server's processes: a cluster primary has its workers as children. */
const serverPids = (server: BenchServer): number[] => [server.pid, ...childPids(server.pid)];

/**
 * Runs `scenario` against every server in `servers` at once (one server: the scenarios run one after
 * another), each with its own load and the same plan; one measurement per server.
 */
async function measureTogether(scenario: Scenario, servers: readonly BenchServer[]): Promise<Measurement[]> {
  const plans = servers.map((server) => plan(server.address, scenario));
  const loads = await Promise.all(plans.map((p) => openLoad(p)));
  const pids = servers.map(serverPids);
  const before = pids.map(cpuSecondsOf);
  const reports = await Promise.all(loads.map(async (load, i) => buildReport(plans[i]!, await load.start().finished, {})));
  const after = pids.map(cpuSecondsOf);
  for (const load of loads) load.close();
  return reports.map((report, i) => {
    const throughput = { 'calls/s': report.rps, 'messages received/s': report.messagesReceivedPerSecond, 'messages sent/s': report.messagesSentPerSecond }[
      scenario.figure
    ];
    // The CPU covers the warm-up calls as well as the measured ones.
    const calls = report.count + report.warmupCalls;
    const cpuUs = usPer(after[i]! - before[i]!, calls * scenario.messagesPerCall);
    return { throughput, p50Ms: report.latencyMs.p50, p99Ms: report.latencyMs.p99, errorRate: report.errorRate, cpuUs, saturated: report.generator.saturated };
  });
}

async function measure(scenario: Scenario, server: BenchServer): Promise<Measurement> {
  return (await measureTogether(scenario, [server]))[0]!;
}

type Samples = Record<string, Record<string, Measurement[]>>; // scenario → variant → one per run

interface Row {
  readonly figure: string;
  /** One per column: the median over runs. */
  readonly values: number[];
  /** One per column, when the runs are paired: the median of each run's value / the first column's in that run. */
  readonly ratios?: number[];
  /** One per column, paired rows only: the middle half of the per-window ratios, as "low–high". */
  readonly spreads?: string[];
  /** One per column: the generator was saturated in some run behind this figure (printed with a *). */
  readonly saturated?: boolean[];
}

/**
 * The median over runs of (value / baseline value in the same run). The variants of one run are measured
 * back to back, so a machine that slows down between runs moves both sides of each ratio together.
 */
function pairedRatio(values: readonly number[], baseline: readonly number[]): number {
  return Math.round(median(ratios(values, baseline)) * 100) / 100;
}

/** Each run's (or window's) value over the baseline's in the same run. */
function ratios(values: readonly number[], baseline: readonly number[]): number[] {
  return values.map((v, i) => v / baseline[i]!);
}

/** The first and third quartiles of the paired ratios, "low–high": how far one window's ratio can stray. */
function ratioSpread(values: readonly number[], baseline: readonly number[]): string {
  const sorted = ratios(values, baseline).sort((a, b) => a - b);
  const at = (q: number): string => sorted[Math.round(q * (sorted.length - 1))]!.toFixed(2);
  return `${at(0.25)}–${at(0.75)}`;
}

function printTable(title: string, rows: readonly Row[], columns: readonly string[]): void {
  const width = Math.max(...rows.map((r) => r.figure.length), title.length);
  const widths = columns.map((c) => Math.max(10, c.length) + 2);
  const cell = (s: string, i: number): string => s.padStart(widths[i]!);
  const ratioWidth = rows.some((r) => r.spreads) ? 18 : 7;
  const ratioCell = (s: string): string => s.padStart(ratioWidth);
  console.log(`\n${title.padEnd(width)}${columns.map((c, i) => cell(c, i) + (i > 0 ? ratioCell('ratio') : '')).join('')}`);
  for (const r of rows) {
    const base = r.values[0]!;
    const shown = (v: number, i: number): string => {
      const x = r.ratios?.[i] ?? ratio(v, base);
      if (!Number.isFinite(x)) return '-';
      return r.spreads ? `${x.toFixed(2)} [${r.spreads[i]}]` : String(x);
    };
    const value = (v: number, i: number): string => `${v}${r.saturated?.[i] === true ? '*' : ''}`;
    console.log(`${r.figure.padEnd(width)}${r.values.map((v, i) => cell(value(v, i), i) + (i > 0 ? ratioCell(shown(v, i)) : '')).join('')}`);
  }
}

const SATURATED_NOTE = '* the load generator was saturated in at least one run: the figure describes the generator, not the server';

async function main(): Promise<void> {
  const pinned = pinGeneratorApart();
  console.log(`cloudrun-grpc bench${quick ? ' (quick)' : ''}: ${RUNS} run(s), ${durationMs} ms per scenario after ${warmupMs} ms warm-up`);
  console.log(
    pinned
      ? `servers on CPU ${pinned.server}, the load generator (this process, lean http2 driver) on CPU ${pinned.generator} (taskset)`
      : 'not pinned (no taskset, or one CPU): servers and the load generator share the CPUs',
  );
  if (saturationOnly) {
    await saturationRuns();
    return;
  }
  if (serverOnly) {
    console.log(`written: ${writeResults('bench-server', await serverSide(pinned !== undefined))}`);
    return;
  }
  const ticksBefore = machineTicks();
  const samples: Samples = {};
  const rss: Record<string, number[]> = {};
  const paired: Record<string, Record<string, number[]>> = {}; // scenario → variant → CPU per call or message, one per window
  for (let run = 1; run <= RUNS; run += 1) {
    const servers: BenchServer[] = [];
    try {
      for (const variant of VARIANTS) {
        const server = await startServer(variant.kind, variant.env);
        servers.push(server);
      }
      // Unmeasured: let V8 compile each server's hot paths first, so that no scenario pays for it.
      for (const server of servers) await measure(WARM_UP, server);
      for (const [index, scenario] of SCENARIOS.entries()) {
        // Rotate which server goes first, so drift in the machine's load does not favour one.
        const order = VARIANTS.map((_, i) => (i + index + run) % VARIANTS.length);
        for (const i of order) {
          process.stdout.write(`  run ${run}: ${scenario.name} on ${VARIANTS[i]!.name}…\n`);
          const measurement = await measure(scenario, servers[i]!);
          ((samples[scenario.name] ??= {})[VARIANTS[i]!.name] ??= []).push(measurement);
        }
      }
      for (const scenario of PAIRED) {
        for (let window = 1; window <= PAIRED_WINDOWS; window += 1) {
          process.stdout.write(`  run ${run}: ${scenario.name} on every server at once (${window} of ${PAIRED_WINDOWS})…\n`);
          // The load generator starts and serves the loads in list order: rotate it, so no server is always first.
          const order = VARIANTS.map((_, i) => (i + window + run) % VARIANTS.length);
          const cpu = (await measureTogether(scenario, order.map((i) => servers[i]!))).map((m) => m.cpuUs);
          order.forEach((i, k) => ((paired[scenario.name] ??= {})[VARIANTS[i]!.name] ??= []).push(cpu[k]!));
        }
      }
      VARIANTS.forEach((variant, i) => (rss[variant.name] ??= []).push(serverPids(servers[i]!).reduce((sum, pid) => sum + rssMiB(pid), 0)));
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }

  const ticksAfter = machineTicks();
  const stolenPercent = Math.round(((ticksAfter.stolen - ticksBefore.stolen) / (ticksAfter.total - ticksBefore.total)) * 1000) / 10;
  const names = VARIANTS.map((v) => v.name);
  /**
   * A row from per-run figures: `perRun(variant)` gives one per run (or paired window), in the same order for
   * every variant, so the i-th figures of two variants come from the same run.
   */
  const row = (figure: string, perRun: (variant: string) => number[], round: (v: number) => number = (v) => v): Row => ({
    figure,
    values: names.map((n) => round(median(perRun(n)))),
    ratios: names.map((n) => pairedRatio(perRun(n), perRun(names[0]!))),
  });
  const rows: Row[] = [];
  for (const scenario of SCENARIOS) {
    const of = (pick: (m: Measurement) => number) => (variant: string) => samples[scenario.name]![variant]!.map(pick);
    const saturated = names.map((n) => samples[scenario.name]![n]!.some((m) => m.saturated));
    rows.push({ ...row(`${scenario.name}: ${scenario.figure}`, of((m) => m.throughput), Math.round), saturated });
    if (scenario.plan.shape === 'unary') {
      rows.push({ ...row(`${scenario.name}: p50 ms`, of((m) => m.p50Ms)), saturated });
      rows.push({ ...row(`${scenario.name}: p99 ms`, of((m) => m.p99Ms)), saturated });
    }
    const per = scenario.messagesPerCall === 1 ? 'call' : 'message';
    rows.push(row(`${scenario.name}: server CPU µs/${per}`, of((m) => m.cpuUs)));
  }
  rows.push(row('server RSS after the run, MiB', (n) => rss[n]!, (v) => Math.round(v * 10) / 10));
  printTable(`figure (median of ${RUNS}; ratio: median of the runs' ratios)`, rows, names);
  if (rows.some((r) => r.saturated?.some(Boolean))) console.log(SATURATED_NOTE);
  const pairedRows = PAIRED.map((scenario): Row => {
    const perWindow = (n: string): number[] => paired[scenario.name]![n]!;
    return {
      ...row(`${scenario.name}: server CPU µs/${scenario.messagesPerCall === 1 ? 'call' : 'message'}`, perWindow),
      spreads: names.map((n) => ratioSpread(perWindow(n), perWindow(names[0]!))),
    };
  });
  const windows = RUNS * PAIRED_WINDOWS;
  printTable(`paired, every server at once (median of ${windows} windows; [middle half of the ratios])`, pairedRows, names);

  console.log(`\nCPU time stolen by the hypervisor during these runs: ${stolenPercent} % (0 on bare metal; the more, the noisier)`);

  const saturation = await saturationRuns();
  const overload = await overloadRuns();
  printTable(`overload: 100 ms calls, c=128 (median of ${RUNS})`, overload.rows, overload.columns);
  const server = await serverSide(pinned !== undefined);
  console.log(`\nwritten: ${writeResults('bench', { date: new Date().toISOString(), quick, runs: RUNS, durationMs, warmupMs, stolenPercent, pinned, variants: VARIANTS, rows, samples, pairedRows, paired, rss, saturation, overload, server })}`);
}

/** "low–high": the first and third quartiles of `values`, each given to 2 places. */
function quartiles(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): string => sorted[Math.round(q * (sorted.length - 1))]!.toFixed(2);
  return `${at(0.25)}–${at(0.75)}`;
}

/**
 * The server-side targets, as the docs' tables give them: the server at saturation paired with bare grpc-js on
 * one core, WORKERS=2 against 1, and cold start. Prints the tables; returns every window's figures.
 */
async function serverSide(pinned: boolean): Promise<Record<string, unknown>> {
  const loadBefore = loadavg();
  const { paired, baselineInPair } = await pairedSaturation(WINDOWS, WINDOW_SECONDS, SERVER_VARIANTS);
  const names = SERVER_VARIANTS.map((v) => v.name);
  const others = names.slice(1);
  const rows: Row[] = [];
  for (const workload of WORKLOADS) {
    const per = workload.messagesPerCall === 1 ? 'call' : 'message';
    // Sharing one core, the calls/s ratio is the inverse of the CPU-per-call ratio if the core is shared
    // fairly; it needs no timing of CPU against calls, and reads the steadier of the two.
    const rate = workload.messagesPerCall === 1 ? 'calls/s' : `calls/s (${workload.messagesPerCall} messages each)`;
    const figures: [string, (f: WindowFigure) => number][] = [
      [`${rate}, sharing one core`, (f) => f.callsPerSecond],
      [`server CPU µs/${per}`, (f) => f.cpuUs],
    ];
    for (const [figure, pick] of figures) {
      // A window whose generator reported nothing (h2load failed) is left out, on both sides.
      const windows = (v: string): [WindowFigure, WindowFigure][] =>
        paired[v]![workload.name]!.map((f, i): [WindowFigure, WindowFigure] => [f, baselineInPair[v]![workload.name]![i]!]).filter(
          ([f, b]) => Number.isFinite(pick(f)) && Number.isFinite(pick(b)),
        );
      const base = (v: string): number[] => windows(v).map(([, b]) => pick(b));
      const own = (v: string): number[] => windows(v).map(([f]) => pick(f));
      const saturated = (v: string): boolean => windows(v).some(([f, b]) => f.generatorSaturated || b.generatorSaturated);
      const dropped = others.reduce((sum, v) => sum + paired[v]![workload.name]!.length - windows(v).length, 0);
      if (dropped > 0) console.log(`  ${workload.name}: ${dropped} window(s) left out: a generator reported no figures`);
      rows.push({
        figure: `${workload.name}: ${figure}`,
        values: [median(others.flatMap(base)), ...others.map((v) => median(own(v)))],
        ratios: [1, ...others.map((v) => pairedRatio(own(v), base(v)))],
        spreads: ['', ...others.map((v) => ratioSpread(own(v), base(v)))],
        saturated: [others.some(saturated), ...others.map(saturated)],
      });
    }
  }
  const loadAfter = loadavg();
  console.log(`\nserver at saturation, as it ships, Node ${process.versions.node}, paired with the baseline on one core: median of ${WINDOWS} windows of ${WINDOW_SECONDS} s`);
  console.log("ratio: median of the windows' own ratios to the baseline paired with it [middle half of them]");
  printTable('workload: figure', rows, names);
  if (rows.some((r) => r.saturated?.some(Boolean))) console.log(SATURATED_NOTE);
  if (tracing) {
    // Both against the same baseline: their ratios' quotient is tracing on against off (target ≥ 0.90).
    const column = (name: string) => SERVER_VARIANTS.findIndex((v) => v.name === name);
    for (const row of rows.filter((r) => r.figure.includes('calls/s'))) {
      const on = row.ratios![column(TRACING_VARIANT.name)]!;
      const off = row.ratios![column('project')]!;
      console.log(`  ${row.figure}: tracing 100 % ÷ tracing off ${(on / off).toFixed(2)}`);
    }
  }
  const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(', ');
  console.log(`load average (1, 5, 15 min): ${load(loadBefore)} before, ${load(loadAfter)} after; ${pinned ? 'servers on CPU 0, generators on CPU 1' : 'not pinned'}`);

  const workers = await workersSaturation(WINDOWS, WINDOW_SECONDS, `0-${availableParallelism() - 1}`);
  const worker = (figure: string, values: number[]): string => `  ${figure.padEnd(76)}${median(values).toFixed(2)} [${quartiles(values)}]`;
  console.log(`\nWORKERS=2 against WORKERS=1, unary at saturation (median of ${WINDOWS} windows [middle half])`);
  console.log(worker('paired on one core: CPU per call, WORKERS=2 ÷ WORKERS=1', workers.cpuRatios));
  console.log(worker("paired on one core: the busiest worker's share of the workers' CPU", workers.busiestShare));
  console.log(worker('every CPU, h2load beside the server: calls/s, WORKERS=2 ÷ WORKERS=1', workers.callsRatios));
  console.log(worker('  cores the WORKERS=2 server used', workers.cores));
  console.log(worker('  cores h2load used (or waited for) beside it', workers.generatorCores));

  const [cold] = await measureColdStarts({ runs: COLD_STARTS, nodes: [process.execPath], entries: ['dist/main.js'] });
  const starts = cold!.starts;
  const coldRow = (figure: string, pick: (s: Start) => number): Row => ({
    figure,
    values: starts.map((s) => Math.round(median(s.map(pick)))),
    ratios: starts.map((s) => pairedRatio(s.map(pick), starts[0]!.map(pick))),
  });
  console.log(`\ncold start, Node ${cold!.version}: exec → first OK SayHello, median of ${COLD_STARTS} interleaved starts`);
  printTable(
    'figure',
    [coldRow('wall ms', (s) => s.wallMs), coldRow('server CPU ms', (s) => s.cpuMs)],
    cold!.servers.map((s) => s.name),
  );
  return { date: new Date().toISOString(), windows: WINDOWS, windowSeconds: WINDOW_SECONDS, loadBefore, loadAfter, pinned, rows, paired, baselineInPair, workers, cold };
}

/**
 * Calls that hold a slot (LotsOfReplies, 10 replies 10 ms apart: about 100 ms each) at concurrency 128,
 * against no limit and against MAX_CONCURRENT_CALLS=64 (2× its capacity). The limit counts calls whose
 * handlers are running; CPU-bound unary calls queue in the socket before the server sees them, so they are
 * not the way to show it.
 */
async function overloadRuns(): Promise<{ columns: string[]; rows: Row[] }> {
  const limits = ['0', '64'];
  const columns = ['no limit', 'limit 64'];
  const scenario = { plan: { shape: 'server', concurrency: 128, connections: 4, replies: 10, intervalMs: 10 } } as const;
  const results: Record<string, Measurement[]> = { '0': [], '64': [] };
  for (let run = 1; run <= RUNS; run += 1) {
    for (const limit of run % 2 === 1 ? limits : [...limits].reverse()) {
      const server = await startServer('project', { MAX_CONCURRENT_CALLS: limit }, 'overload-server');
      try {
        process.stdout.write(`  run ${run}: overload, MAX_CONCURRENT_CALLS=${limit}…\n`);
        results[limit]!.push(await measure({ name: 'overload', figure: 'calls/s', messagesPerCall: 10, ...scenario }, server));
      } finally {
        await server.stop();
      }
    }
  }
  const row = (figure: string, pick: (m: Measurement) => number): Row => ({
    figure,
    values: limits.map((l) => median(results[l]!.map(pick))),
  });
  return {
    columns,
    rows: [
      row('calls/s (all outcomes)', (m) => Math.round(m.throughput)),
      row('p50 ms (all outcomes)', (m) => m.p50Ms),
      row('p99 ms (all outcomes)', (m) => m.p99Ms),
      row('error rate (RESOURCE_EXHAUSTED)', (m) => Math.round(m.errorRate * 1000) / 1000),
      row('server CPU µs/reply', (m) => m.cpuUs),
    ],
  };
}

interface GeneratorRun {
  readonly callsPerSecond: number;
  /** The generator's CPU per call (warm-up included), in µs. */
  readonly cpuUsPerCall: number;
  readonly saturated: boolean;
  /** The server's CPU per call, in µs. */
  readonly serverCpuUs: number;
}

const SATURATION = { shape: 'unary', concurrency: 16, connections: 4 } as const;
const SATURATION_SECONDS = quick ? 2 : 5;
/** Worker threads start with cold code (their own V8 isolates): a longer warm-up lets their JIT catch up before measuring. */
const SATURATION_WARMUP_MS = quick ? 500 : 2000;

/** The harness against one server, closed loop, its report's calls/s and its own cost beside the server's. */
async function harnessRun(server: BenchServer, driver: DriverName, workers: number): Promise<GeneratorRun> {
  const load: LoadPlan = {
    ...plan(server.address, { plan: SATURATION }),
    driver,
    workers,
    warmupMs: SATURATION_WARMUP_MS,
    stop: { durationMs: SATURATION_SECONDS * 1000 },
  };
  const prepared = workers > 1 ? await openWorkers(load) : await openLoad(load);
  const pids = serverPids(server);
  const before = cpuSecondsOf(pids);
  const report: LoadReport = buildReport(load, await prepared.start().finished, {});
  const serverCpu = cpuSecondsOf(pids) - before;
  prepared.close();
  const calls = report.count + report.warmupCalls;
  return {
    callsPerSecond: Math.round(report.rps),
    cpuUsPerCall: report.generator.cpuUsPerCall,
    saturated: report.generator.saturated,
    serverCpuUs: usPer(serverCpu, calls),
  };
}

/** The bare node:http2 loop (bench/http2-floor.ts) against one server, with the harness's concurrency, connections and timings. */
async function floorRun(server: BenchServer, path: string, body: Buffer): Promise<GeneratorRun> {
  const pids = serverPids(server);
  const before = cpuSecondsOf(pids);
  const floor = await http2Floor(server.address, { path, body, ...SATURATION, warmupMs: SATURATION_WARMUP_MS, durationMs: SATURATION_SECONDS * 1000 });
  const serverCpu = cpuSecondsOf(pids) - before;
  if (floor.failed > 0) process.stderr.write(`  the http2 floor saw ${floor.failed} stream(s) reset: its figures are not a unary call's\n`);
  return { callsPerSecond: floor.callsPerSecond, cpuUsPerCall: floor.cpuUsPerCall, saturated: floor.saturated, serverCpuUs: usPer(serverCpu, floor.calls) };
}

type GeneratorRuns = Record<string, Record<string, GeneratorRun[]>>; // server kind → generator → one per run

interface Target {
  readonly figure: string;
  /** Issue #19's targets; the floor's ratios have none, they say how far the driver can go. */
  readonly target?: string;
  readonly met?: (ratio: number) => boolean;
  /** The numerator and the denominator: generators of the same run. */
  readonly over: readonly [string, string];
  readonly pick: (r: GeneratorRun) => number;
}

/** Issue #19's three targets for the generator, and two ratios against the floor, each of two generators in the same run. */
const TARGETS: readonly Target[] = [
  { figure: 'calls/s, harness http2 ÷ h2load', target: '≥ 0.70', met: (r) => r >= 0.7, over: ['harness http2', 'h2load'], pick: (r) => r.callsPerSecond },
  { figure: 'generator CPU/call, http2 ÷ grpc-js driver', target: '≤ 0.50', met: (r) => r <= 0.5, over: ['harness http2', 'harness grpc-js'], pick: (r) => r.cpuUsPerCall },
  { figure: 'generator CPU/call, 2 workers ÷ 1', target: '≤ 1.10', met: (r) => r <= 1.1, over: ['harness http2, 2 workers', 'harness http2'], pick: (r) => r.cpuUsPerCall },
  // The floor: what node:http2 alone costs per call (bench/http2-floor.ts). The driver cannot go under it, so
  // floor ÷ grpc-js driver is the best http2 ÷ grpc-js ratio node:http2 allows.
  { figure: 'generator CPU/call, http2 driver ÷ floor', over: ['harness http2', 'http2 floor'], pick: (r) => r.cpuUsPerCall },
  { figure: 'generator CPU/call, floor ÷ grpc-js driver', over: ['http2 floor', 'harness grpc-js'], pick: (r) => r.cpuUsPerCall },
];

/**
 * The target rows: per server, the median of the runs' own ratios (both generators of a ratio ran
 * back to back against the same server), and in how many runs each side's generator was saturated. The
 * harness is meant to be saturated in the first row (it shows how far one thread reaches); h2load reports no
 * saturation of its own.
 */
function printTargets(results: GeneratorRuns, h2load: boolean): void {
  const kinds = Object.keys(results);
  const heading = `targets (Node ${process.versions.node}; median of the runs' ratios)`;
  const width = Math.max(heading.length, ...TARGETS.map((t) => t.figure.length));
  console.log(`\n${heading.padEnd(width)}${kinds.map((k) => k.padStart(10)).join('')}${'target'.padStart(8)}  generator saturated (runs)`);
  for (const target of TARGETS) {
    const [top, bottom] = target.over;
    if (!h2load && bottom === 'h2load') {
      console.log(`${target.figure.padEnd(width)}  (h2load not installed)`);
      continue;
    }
    const ratios = kinds.map((kind) => {
      const runs = results[kind]!;
      return median(runs[top]!.map((r, i) => target.pick(r) / target.pick(runs[bottom]![i]!)));
    });
    const cells = ratios.map((r) => `${r.toFixed(2)}${target.met === undefined || target.met(r) ? '' : ' ✗'}`.padStart(10)).join('');
    const flags = [top, bottom]
      .filter((g) => g !== 'h2load')
      .map((g) => `${g.replace('harness ', '')} ${kinds.map((k) => `${results[k]![g]!.filter((r) => r.saturated).length}/${results[k]![g]!.length}`).join(' · ')}`)
      .join('; ');
    console.log(`${target.figure.padEnd(width)}${cells}${(target.target ?? '').padStart(8)}  ${flags}`);
  }
  console.log('✗ misses its target. Saturated counts are per server, in column order.');
  if (availableParallelism() <= 2) {
    console.log('2 workers shared one CPU with each other and this thread (a 2-core machine): that row shows two event loops on one core, not workers on cores of their own.');
  }
}

/**
 * The generator's headroom, unary c=16 over 4 connections (closed loop) against each server: the lean driver,
 * the grpc-js driver and 2 workers, beside the bare node:http2 floor and h2load (where installed) sending the
 * same request bytes. The harness/h2load ratio says how much of the server the harness can reach; CPU per call
 * says what it costs.
 */
async function saturationRuns(): Promise<GeneratorRuns> {
  const codec = (packageDefinition[GREETER_SERVICE] as unknown as Record<string, { path: string; requestSerialize: (r: object) => Buffer }>).SayHello!;
  const body = frameMessage(codec.requestSerialize(requestFor({ ...DEFAULTS, shape: 'unary' })), false);
  const h2load = h2loadInstalled();
  const generators = ['harness http2', 'harness grpc-js', 'harness http2, 2 workers', 'http2 floor', ...(h2load ? ['h2load'] : [])];
  const results: GeneratorRuns = {};
  for (let run = 1; run <= RUNS; run += 1) {
    for (const kind of ['baseline', 'project'] as const) {
      const server = await startServer(kind, {}, 'saturation-server');
      try {
        await measure(WARM_UP, server);
        // Rotate which generator goes first, so drift in the machine's load does not favour one side of a ratio.
        for (const generator of generators.map((_, i) => generators[(i + run) % generators.length]!)) {
          process.stdout.write(`  run ${run}: saturation, ${generator} against ${kind}…\n`);
          let result: GeneratorRun;
          if (generator === 'h2load') {
            const before = cpuSecondsOf(serverPids(server));
            const streams = SATURATION.concurrency / SATURATION.connections;
            const h = await runH2load(server.address, { path: codec.path, body, connections: SATURATION.connections, streams, seconds: SATURATION_SECONDS });
            const serverCpu = cpuSecondsOf(serverPids(server)) - before;
            const calls = h.callsPerSecond * (SATURATION_SECONDS + 1);
            result = { callsPerSecond: Math.round(h.callsPerSecond), cpuUsPerCall: h.cpuUsPerCall, saturated: h.saturated, serverCpuUs: usPer(serverCpu, calls) };
          } else if (generator === 'http2 floor') {
            result = await floorRun(server, codec.path, body);
          } else {
            result = await harnessRun(server, generator.includes('grpc-js') ? 'grpc-js' : 'http2', generator.includes('2 workers') ? 2 : 1);
          }
          ((results[kind] ??= {})[generator] ??= []).push(result);
        }
      } finally {
        await server.stop();
      }
    }
  }
  for (const kind of Object.keys(results)) {
    const of = (generator: string, pick: (r: GeneratorRun) => number): number => median(results[kind]![generator]!.map(pick));
    const saturated = generators.map((g) => results[kind]![g]!.some((r) => r.saturated));
    const rows: Row[] = [
      { figure: 'calls/s', values: generators.map((g) => of(g, (r) => r.callsPerSecond)), saturated },
      { figure: 'generator CPU µs/call', values: generators.map((g) => of(g, (r) => r.cpuUsPerCall)) },
      { figure: 'server CPU µs/call', values: generators.map((g) => of(g, (r) => r.serverCpuUs)) },
    ];
    printTable(`saturation on ${kind}: unary c=16 over 4 connections, ${SATURATION_SECONDS} s (median of ${RUNS})`, rows, generators);
    if (saturated.some(Boolean)) console.log(SATURATED_NOTE);
  }
  printTargets(results, h2load);
  return results;
}

await main();
