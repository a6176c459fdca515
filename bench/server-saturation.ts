// The server at saturation against bare grpc-js, in the same run: both as they
// ship (`node dist/main.js`, the baseline compiled to JavaScript), pinned to one
// CPU, the generator on another (pinGeneratorApart).
//
// Paired windows: the baseline and one other server are loaded at once, each by
// its own generator, and share CPU 0, so each gets a fair share of the core
// and whatever else runs on the machine meanwhile falls on both alike. Their
// calls/s ratio is then the inverse of their CPU-per-call ratio; both are
// recorded. h2load drives unary, server streaming, client streaming and
// pipelined bidi (each stream's messages sent at once); the harness's http2
// driver drives ping-pong bidi, which h2load cannot (each message waits for the
// reply to the one before). A second baseline is paired the same way: how far
// its ratio strays from 1.00 is the noise.
//
// WORKERS: one core cannot show two workers' calls/s, and this machine has no
// third core for a generator. What can be measured: CPU per call of WORKERS=2
// against WORKERS=1 at saturation, paired on one core (what a worker costs
// besides its calls), how evenly the calls' CPU falls on the workers, and, with
// both servers and h2load on every CPU, the calls/s ratio and the cores the
// server used (h2load taking its share of those cores).
import { setTimeout as sleep } from 'node:timers/promises';
import { GREETER_SERVICE, packageDefinition } from '../src/proto.js';
import { DEFAULTS, requestFor, type LoadPlan, type Shape } from '../src/load/plan.js';
import { buildReport } from '../src/load/report.js';
import { openLoad } from '../src/load/runner.js';
import { frameMessage } from '../src/load/wire/framing.js';
import { startOtlpSink } from './otlp-sink.js';
import { childPids, cpuSecondsOf, runH2load, usPer, startServer, type BenchServer, type H2loadPlan, type ServerKind } from './servers.js';

export interface Variant {
  readonly name: string;
  readonly kind: ServerKind;
  readonly env: Record<string, string>;
  /** Exports its spans to an OTLP sink (bench/otlp-sink.ts) that the bench starts. */
  readonly otlp?: true;
}

/** The first is the baseline every other is paired with. */
export const VARIANTS: readonly Variant[] = [
  { name: 'baseline', kind: 'baseline', env: {} },
  { name: 'baseline again', kind: 'baseline', env: {} },
  { name: 'project', kind: 'project', env: {} },
  { name: 'project, log off', kind: 'project', env: { LOG_LEVEL: 'warn' } },
  // Metrics on (gRPC's call metrics recorded for every call; nothing scrapes the endpoint): ÷ `project`'s ratio, the cost of metrics.
  { name: 'project, metrics on', kind: 'project', env: { METRICS_PORT: '0' } },
];

/** With --tracing: the project with a span per call, every call sampled, exported over OTLP/HTTP. */
export const TRACING_VARIANT: Variant = { name: 'project, tracing 100 %', kind: 'project', env: { OTEL_TRACES_SAMPLER: 'always_on' }, otlp: true };

/** The variants bench:server pairs with the baseline: VARIANTS, and the tracing one with --tracing. */
export function serverVariants(tracing: boolean): readonly Variant[] {
  return tracing ? [...VARIANTS, TRACING_VARIANT] : VARIANTS;
}

const MESSAGES = 100;

interface Workload {
  readonly name: string;
  readonly shape: Shape;
  /** Messages per call (requests, or replies for server streaming): CPU is given per message. */
  readonly messagesPerCall: number;
  /** Driven by h2load with these streams; undefined: by the harness (ping-pong). */
  readonly h2load?: Pick<H2loadPlan, 'connections' | 'streams'>;
}

export const WORKLOADS: readonly Workload[] = [
  // The setting: 8 connections × 25 streams.
  { name: 'unary', shape: 'unary', messagesPerCall: 1, h2load: { connections: 8, streams: 25 } },
  { name: 'server streaming', shape: 'server', messagesPerCall: MESSAGES, h2load: { connections: 4, streams: 4 } },
  { name: 'client streaming', shape: 'client', messagesPerCall: MESSAGES, h2load: { connections: 4, streams: 4 } },
  { name: 'bidi, ping-pong', shape: 'bidi', messagesPerCall: MESSAGES },
  { name: 'bidi, pipelined', shape: 'bidi', messagesPerCall: MESSAGES, h2load: { connections: 4, streams: 4 } },
];

const METHODS: Record<Shape, string> = { unary: 'SayHello', server: 'LotsOfReplies', client: 'LotsOfGreetings', bidi: 'BidiHello' };

type Codec = { path: string; requestSerialize: (request: object) => Buffer };

/** The harness's plan for `shape`: its request is the one h2load sends too. */
function harnessPlan(target: string, shape: Shape, ms: number): LoadPlan {
  return {
    ...DEFAULTS,
    target,
    connection: { insecure: true },
    shape,
    concurrency: 16,
    connections: 4,
    replies: MESSAGES,
    messages: MESSAGES,
    stop: { durationMs: ms },
    rps: undefined,
    warmupMs: 1000,
    deadlineMs: 30_000,
  };
}

/** The method's path and the request body h2load sends: one framed request, or MESSAGES of them for a client stream. */
function h2loadRequest(shape: Shape): { path: string; body: Buffer } {
  const codec = (packageDefinition[GREETER_SERVICE] as unknown as Record<string, Codec>)[METHODS[shape]]!;
  const message = frameMessage(codec.requestSerialize(requestFor({ ...DEFAULTS, shape, replies: MESSAGES })), false);
  return { path: codec.path, body: shape === 'client' || shape === 'bidi' ? Buffer.concat(Array(MESSAGES).fill(message)) : message };
}

/** One server's figures in one window. */
export interface WindowFigure {
  readonly callsPerSecond: number;
  /** Server CPU per call (unary) or per message, in µs, over the measured seconds. */
  readonly cpuUs: number;
  readonly generatorSaturated: boolean;
}

const serverPids = (server: BenchServer): number[] => [server.pid, ...childPids(server.pid)];

/**
 * Every window starts with this much load unmeasured. The baseline is loaded in every window and each other
 * server in a third of them, after idling through the rest: measured from its first call, the second baseline
 * read 0.94x the first (the cause was not pinned down: V8's young generation had not shrunk meanwhile).
 */
const WINDOW_WARMUP_SECONDS = 1;

/**
 * Loads every server in `servers` at once with `workload` for `warmupSeconds` and then `seconds`, and returns
 * each one's calls/s and its CPU per message over those `seconds`: the server's CPU is read when the warm-up
 * ends and when its generator ends, and divided by every call the generator completed in between.
 */
export async function loadAtOnce(
  workload: Workload,
  servers: readonly BenchServer[],
  seconds: number,
  h2loadCpus?: string,
  warmupSeconds = WINDOW_WARMUP_SECONDS,
): Promise<WindowFigure[]> {
  const pids = servers.map(serverPids);
  let runs: Promise<{ callsPerSecond: number; calls: number; saturated: boolean }>[];
  const warmedUp = (): Promise<number[]> => sleep(warmupSeconds * 1000).then(() => pids.map(cpuSecondsOf));
  let before: number[];
  if (workload.h2load !== undefined) {
    const request = h2loadRequest(workload.shape);
    runs = servers.map(async (server) => {
      const run = await runH2load(server.address, { ...request, ...workload.h2load!, seconds, warmupSeconds, cpus: h2loadCpus });
      return { callsPerSecond: run.callsPerSecond, calls: run.succeeded, saturated: run.saturated };
    });
    before = await warmedUp();
  } else {
    const plans = servers.map((server) => ({ ...harnessPlan(server.address, workload.shape, seconds * 1000), warmupMs: warmupSeconds * 1000 }));
    const loads = await Promise.all(plans.map((plan) => openLoad(plan)));
    const started = loads.map((load) => load.start().finished);
    before = await warmedUp();
    runs = loads.map(async (load, i) => {
      const report = buildReport(plans[i]!, await started[i]!, {});
      load.close();
      return { callsPerSecond: report.rps, calls: report.count, saturated: report.generator.saturated };
    });
  }
  // The servers' CPU is read as each one's generator ends.
  const after: number[] = [];
  const results = await Promise.all(
    runs.map(async (run, i) => {
      const result = await run;
      after[i] = cpuSecondsOf(pids[i]!);
      return result;
    }),
  );
  return results.map((r, i) => ({
    callsPerSecond: Math.round(r.callsPerSecond),
    cpuUs: usPer(after[i]! - before[i]!, r.calls * workload.messagesPerCall),
    generatorSaturated: r.saturated,
  }));
}

/** Fails the bench when a workload's request does not get OK from `server` (h2load counts HTTP 200s only). */
async function checkRequests(server: BenchServer): Promise<void> {
  for (const workload of WORKLOADS) {
    const plan = { ...harnessPlan(server.address, workload.shape, 0), stop: { total: 3 }, warmupMs: 0, concurrency: 1, connections: 1 };
    const load = await openLoad(plan);
    const report = buildReport(plan, await load.start().finished, {});
    load.close();
    if (report.errorRate > 0 || report.count === 0) throw new Error(`${workload.name} against ${server.kind}: ${JSON.stringify(report.errors)}`);
  }
}

/** variant name → workload name → one figure per window (the baseline's from its pairing with each other). */
export type PairedFigures = Record<string, Record<string, WindowFigure[]>>;

export interface ServerSaturation {
  readonly paired: PairedFigures;
  /** Per window: the baseline's figure in the pair with each variant, in VARIANTS order (the baseline's own slot empty). */
  readonly baselineInPair: Record<string, Record<string, WindowFigure[]>>;
  readonly workers: WorkersFigures;
}

/** Paired windows for every workload and variant: `windows` per pair, `seconds` each. */
export async function pairedSaturation(windows: number, seconds: number, variants: readonly Variant[] = VARIANTS): Promise<Omit<ServerSaturation, 'workers'>> {
  const servers: BenchServer[] = [];
  const sink = variants.some((v) => v.otlp) ? await startOtlpSink() : undefined;
  const paired: PairedFigures = {};
  const baselineInPair: Record<string, Record<string, WindowFigure[]>> = {};
  try {
    for (const variant of variants) {
      const env = variant.otlp && sink ? { ...variant.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint } : variant.env;
      servers.push(await startServer(variant.kind, env, 'server-saturation', { shipped: true }));
    }
    await checkRequests(servers[0]!);
    await checkRequests(servers[2]!);
    for (const workload of WORKLOADS) {
      // Unmeasured: V8 compiles each server's hot paths for this workload first.
      await loadAtOnce(workload, servers, 2);
      for (let window = 1; window <= windows; window += 1) {
        // Rotate the order of the pairs, so that drift in the machine's load does not favour one.
        for (let k = 1; k < variants.length; k += 1) {
          const i = 1 + ((k + window) % (variants.length - 1));
          process.stdout.write(`  ${workload.name}, window ${window} of ${windows}: baseline and ${variants[i]!.name} at once…\n`);
          const [base, other] = await loadAtOnce(workload, [servers[0]!, servers[i]!], seconds);
          ((paired[variants[i]!.name] ??= {})[workload.name] ??= []).push(other!);
          ((baselineInPair[variants[i]!.name] ??= {})[workload.name] ??= []).push(base!);
        }
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    sink?.close();
  }
  if (sink !== undefined && sink.exports() === 0) throw new Error('the tracing variant exported no spans: its figures would not include export');
  return { paired, baselineInPair };
}

export interface WorkersFigures {
  /** Paired on one core: WORKERS=2's CPU per call over WORKERS=1's, one per window. */
  readonly cpuRatios: number[];
  /** The busiest worker's share of the workers' CPU, one per window (0.5: even). */
  readonly busiestShare: number[];
  /** Every process on every CPU, one server after the other: WORKERS=2's calls/s over WORKERS=1's, one per window. */
  readonly callsRatios: number[];
  /** Cores the WORKERS=2 server used in those windows (primary and workers). */
  readonly cores: number[];
  /** Cores h2load used beside it. */
  readonly generatorCores: number[];
}

/** WORKERS=2 against WORKERS=1, unary: see the header for what this machine can and cannot show. */
export async function workersSaturation(windows: number, seconds: number, allCpus: string): Promise<WorkersFigures> {
  const unary = WORKLOADS[0]!;
  const figures: WorkersFigures = { cpuRatios: [], busiestShare: [], callsRatios: [], cores: [], generatorCores: [] };
  const one = await startServer('project', {}, 'server-saturation', { shipped: true });
  const two = await startServer('project', { WORKERS: '2' }, 'server-saturation', { shipped: true });
  try {
    await loadAtOnce(unary, [one, two], 2);
    for (let window = 1; window <= windows; window += 1) {
      process.stdout.write(`  WORKERS=2 and WORKERS=1 at once on one core, window ${window} of ${windows}…\n`);
      const workers = childPids(two.pid);
      const before = workers.map((pid) => cpuSecondsOf([pid]));
      const [w1, w2] = await loadAtOnce(unary, [one, two], seconds);
      const used = workers.map((pid, i) => cpuSecondsOf([pid]) - before[i]!);
      figures.cpuRatios.push(w2!.cpuUs / w1!.cpuUs);
      figures.busiestShare.push(Math.max(...used) / used.reduce((sum, s) => sum + s, 0));
    }
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
  // Both CPUs for the server, h2load beside it on them: one server at a time, alternating.
  const spread = { one: await startServer('project', {}, 'server-saturation', { shipped: true, cpus: allCpus }), two: await startServer('project', { WORKERS: '2' }, 'server-saturation', { shipped: true, cpus: allCpus }) };
  try {
    for (let window = 1; window <= windows; window += 1) {
      process.stdout.write(`  WORKERS=2 and WORKERS=1 on every CPU, one after the other, window ${window} of ${windows}…\n`);
      const order = window % 2 === 0 ? (['one', 'two'] as const) : (['two', 'one'] as const);
      const rates: Record<string, number> = {};
      for (const which of order) {
        const server = spread[which];
        const pids = serverPids(server);
        const before = cpuSecondsOf(pids);
        const startedAt = performance.now();
        const request = h2loadRequest('unary');
        const run = await runH2load(server.address, { ...request, ...unary.h2load!, seconds, warmupSeconds: 1, cpus: allCpus });
        const cores = (cpuSecondsOf(pids) - before) / ((performance.now() - startedAt) / 1000);
        rates[which] = run.callsPerSecond;
        if (which === 'two') {
          figures.cores.push(Math.round(cores * 100) / 100);
          figures.generatorCores.push(run.busyCores);
        }
      }
      figures.callsRatios.push(rates.two! / rates.one!);
    }
  } finally {
    await Promise.all([spread.one.stop(), spread.two.stop()]);
  }
  return figures;
}
