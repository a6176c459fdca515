// The report of a run: one plain object (the --json output, field names after
// ghz's where they overlap) and its text rendering.
import { checkGates, type GateResult, type GateThresholds } from './gates.js';
import { histogramBuckets, mergeHistograms, summarizeLatency, type HistogramBucket, type LatencySummaryMs } from './histogram.js';
import { callOf } from './call/requests.js';
import { isTotal, type LoadPlan } from './plan.js';
import type { Ramp } from './schedule.js';
import type { IntervalSnapshot } from './timeline.js';
import type { RunResult } from './runner.js';
import { isSaturated, SATURATED, type ThreadUsage } from './usage.js';

export interface RateReport {
  /** --rps: calls per second asked for. */
  readonly askedRps: number;
  /** Calls started per second, over the span in which they were started. */
  readonly achievedRps: number;
  /** How far the achieved rate fell short of the asked one: 0 (on schedule) to 1. */
  readonly shortfall: number;
  /** The latest any call started after its due time. */
  readonly maxStartLagMs: number;
  /** From the start of the measured phase to the start of its last call. */
  readonly startSpanMs: number;
}

/** What generating the load cost the generator: read it before the server's figures. */
export interface GeneratorReport {
  readonly driver: LoadPlan['driver'];
  /** The process's CPU over the run, warm-up included. */
  readonly cpuMs: number;
  /** cpuMs over every call made, warm-up included, in µs. */
  readonly cpuUsPerCall: number;
  /** The run's wall time, warm-up included. */
  readonly wallMs: number;
  /** cpuMs over wallMs: cores the generator kept busy. */
  readonly coresUsed: number;
  /** One per thread that made calls (--workers). */
  readonly threads: readonly ThreadUsage[];
  /**
   * A thread's event loop was busy ≥ 90 % of the run, or it ran or waited for a CPU ≥ 90 % of the run
   * (cpuCores + waitingCores ≥ 0.9): the figures then describe the generator.
   */
  readonly saturated: boolean;
}

/** One second of the measured phase (a wall-clock second, so that reports from several machines line up). */
export interface TimeSeriesPoint {
  /** The second's start, in Unix seconds. */
  readonly second: number;
  /** Calls that started in this second and completed (calls cut short by Ctrl-C are in no figure). */
  readonly started: number;
  readonly completed: number;
  /** The part of this second the measured phase covered, in ms: 1000 but in the first and last (the phase starts and ends within them). */
  readonly coveredMs: number;
  /** Status code name → calls completed in this second with that status; OK is not listed. */
  readonly errors: Readonly<Record<string, number>>;
  /** Of the calls completed in this second. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Their latencies (µs), HdrHistogram compressed base64, so that merged reports are exact. */
  readonly hdrHistogram: string;
}

/** What a report says about the plan that made it: two reports merge only when these agree (but for the shard). */
export interface ReportPlan {
  /** --name and --tags (ghz's): null and {} when not given. Reports of one plan may differ in them. */
  readonly name: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly target: string;
  readonly shape: LoadPlan['shape'];
  readonly options: {
    readonly concurrency: number;
    readonly connections: number;
    readonly total: number | null;
    readonly durationMs: number | null;
    readonly rps: number | null;
    readonly warmupMs: number;
    /** --skipFirst (ghz's): the first calls left out (counted in warmupCalls). */
    readonly skipFirst: number;
    readonly deadlineMs: number;
    readonly messages: number;
    readonly intervalMs: number;
    readonly replies: number;
    readonly payloadBytes: number;
    readonly workers: number;
    readonly driver: LoadPlan['driver'];
    readonly connectTimeoutMs: number;
    /** The method called: package.Service/Method. */
    readonly call: string;
    /** --load-schedule step|line; null: const. */
    readonly loadSchedule: Ramp | null;
    /** --concurrency-schedule step|line; null: const. */
    readonly concurrencySchedule: Ramp | null;
    /** --shard: the parts of the plan this report covers (`indices` of `of`); null for the whole plan. */
    readonly shard: { readonly indices: readonly number[]; readonly of: number } | null;
  };
}

export interface LoadReport extends ReportPlan {
  readonly date: string;
  readonly endReason: 'total' | 'duration' | 'interrupted';
  /** Measured calls completed (warm-up calls are not counted). */
  readonly count: number;
  readonly elapsedMs: number;
  /** Calls completed per second. */
  readonly rps: number;
  readonly errors: number;
  /** errors / count, 0 to 1. */
  readonly errorRate: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesSentPerSecond: number;
  readonly messagesReceivedPerSecond: number;
  /** Every measured call, failed ones included. */
  readonly latencyMs: LatencySummaryMs;
  /** "call start", or "scheduled start" with --rps (no coordinated omission). */
  readonly latencyMeasuredFrom: 'call start' | 'scheduled start';
  readonly histogram: readonly HistogramBucket[];
  /** Status code name → calls. */
  readonly statusCodeDistribution: Readonly<Record<string, number>>;
  /** "CODE: message" → calls (at most 20 distinct messages; the rest under "(other error messages)"). */
  readonly errorDistribution: Readonly<Record<string, number>>;
  /** Only with --rps. */
  readonly rate: RateReport | null;
  readonly warmupCalls: number;
  readonly gates: readonly GateResult[];
  /** The latency histogram (µs) in HdrHistogram's compressed base64 encoding, for exact merging by other tools. */
  readonly hdrHistogram: string;
  readonly generator: GeneratorReport;
  /** Per second of the measured phase; adds up to the totals. */
  readonly timeSeries: readonly TimeSeriesPoint[];
  /**
   * The parts of a --shard plan this report does not cover (a shard's own report, or a merge with
   * --allow-partial), each with the error of a shard that could not run, when its report said so. [] otherwise.
   */
  readonly missingShards: readonly MissingShard[];
}

export interface MissingShard {
  readonly index: number;
  readonly error: string | null;
}

/** The shards of `shard`'s plan not in its indices; `errors`: why some could not run (by index). */
export function missingShardsOf(shard: ReportPlan['options']['shard'], errors: ReadonlyMap<number, string> = new Map()): MissingShard[] {
  if (shard === null) return [];
  const covered = new Set(shard.indices);
  return Array.from({ length: shard.of }, (_, index) => index).filter((index) => !covered.has(index)).map((index) => ({ index, error: errors.get(index) ?? null }));
}

/** "shards 1, 2 of 3 missing (1: could not connect …)", for every format. */
export function describeMissingShards(report: Pick<LoadReport, 'missingShards' | 'options'>): string | undefined {
  const missing = report.missingShards ?? [];
  if (missing.length === 0) return undefined;
  const errors = missing.filter((m) => m.error !== null).map((m) => `shard ${m.index}: ${m.error}`);
  return `PARTIAL: shard${missing.length > 1 ? 's' : ''} ${missing.map((m) => m.index).join(', ')} of ${report.options.shard?.of} missing` +
    (errors.length > 0 ? ` (${errors.join('; ')})` : '') + ': the figures cover only the other shards';
}

function generatorReport(driver: LoadPlan['driver'], result: RunResult): GeneratorReport {
  const { cpuMs, wallMs, threads } = result.usage;
  const calls = result.tally.calls + result.warmupCalls;
  return {
    driver,
    cpuMs: round(cpuMs, 1),
    cpuUsPerCall: calls > 0 ? round((cpuMs * 1000) / calls, 1) : 0,
    wallMs: round(wallMs, 1),
    coresUsed: wallMs > 0 ? round(cpuMs / wallMs, 2) : 0,
    threads,
    saturated: threads.some(isSaturated),
  };
}

const round = (n: number, places = 3): number => Math.round(n * 10 ** places) / 10 ** places;
const perSecond = (n: number, ms: number): number => (ms > 0 ? round((n * 1000) / ms, 2) : 0);

/** The report's account of the plan. */
export function describePlan(plan: LoadPlan): ReportPlan {
  return {
    name: plan.name ?? null,
    tags: plan.tags ?? {},
    target: plan.target,
    shape: plan.shape,
    options: {
      concurrency: plan.concurrency,
      connections: plan.connections,
      total: isTotal(plan.stop) ? plan.stop.total : null,
      durationMs: plan.stop.durationMs ?? null,
      rps: plan.rps ?? null,
      warmupMs: plan.warmupMs,
      skipFirst: plan.skipFirst ?? 0,
      deadlineMs: plan.deadlineMs,
      messages: plan.messages,
      intervalMs: plan.intervalMs,
      replies: plan.replies,
      payloadBytes: plan.payloadBytes,
      workers: plan.workers,
      driver: plan.driver,
      connectTimeoutMs: plan.connectTimeoutMs,
      call: callOf(plan).method,
      loadSchedule: plan.rateRamp ?? null,
      concurrencySchedule: plan.concurrencyRamp ?? null,
      shard: plan.shard.of === 1 ? null : { indices: [plan.shard.index], of: plan.shard.of },
    },
  };
}

function timeSeriesPoint(interval: IntervalSnapshot): TimeSeriesPoint {
  const { p50, p90, p99, max } = summarizeLatency(mergeHistograms([interval.histogram]));
  const { histogram, ...counts } = interval;
  return { ...counts, latencyMs: { p50, p90, p99, max }, hdrHistogram: histogram };
}

export function buildReport(plan: LoadPlan, result: RunResult, thresholds: GateThresholds, date = new Date()): LoadReport {
  return reportOf(describePlan(plan), result, thresholds, date);
}

/**
 * 'total' when the calls the plan (or this shard's part of it) asked for were made, else 'duration': -x's time
 * ran out first. A shard's part is its share of --total, at least the whole shares of the threads it ran.
 */
function endReasonOf(options: ReportPlan['options'], calls: number): 'total' | 'duration' {
  if (options.total === null) return 'duration';
  const covered = options.shard === null ? 1 : options.shard.indices.length / options.shard.of;
  return calls + options.skipFirst >= Math.floor(options.total * covered) ? 'total' : 'duration';
}

/** The report of `result`, a run of the plan `described` (a merged one too). */
export function reportOf(described: ReportPlan, result: RunResult, thresholds: GateThresholds, date: Date, shardErrors?: ReadonlyMap<number, string>): LoadReport {
  const { tally } = result;
  const { options } = described;
  const histogram = mergeHistograms([tally.histogram]);
  const latencyMs = summarizeLatency(histogram);
  const errorRate = tally.calls > 0 ? tally.errors / tally.calls : 0;
  let rate: RateReport | null = null;
  if (options.rps !== null) {
    // N calls on schedule start over (N - 1) spacings; one more spacing makes the span N / rate. With
    // --duration the span is at least the time the run had to start calls, so a stall at the end still counts.
    const timeToStartMs = options.durationMs === null ? 0 : Math.min(options.durationMs, result.elapsedMs);
    const spanMs = Math.max(result.startSpanMs + 1000 / options.rps, timeToStartMs);
    const achievedRps = tally.calls > 0 ? perSecond(tally.calls, spanMs) : 0;
    rate = {
      askedRps: options.rps,
      achievedRps,
      shortfall: round(Math.max(0, 1 - achievedRps / options.rps), 4),
      maxStartLagMs: round(result.maxStartLagMs),
      startSpanMs: round(result.startSpanMs),
    };
  }
  return {
    ...described,
    date: date.toISOString(),
    endReason: result.interrupted ? 'interrupted' : endReasonOf(options, tally.calls),
    count: tally.calls,
    elapsedMs: round(result.elapsedMs),
    rps: perSecond(tally.calls, result.elapsedMs),
    errors: tally.errors,
    errorRate: round(errorRate, 6),
    messagesSent: tally.sent,
    messagesReceived: tally.received,
    messagesSentPerSecond: perSecond(tally.sent, result.elapsedMs),
    messagesReceivedPerSecond: perSecond(tally.received, result.elapsedMs),
    latencyMs,
    latencyMeasuredFrom: options.rps === null && options.loadSchedule === null ? 'call start' : 'scheduled start',
    histogram: histogramBuckets(histogram),
    statusCodeDistribution: tally.codes,
    errorDistribution: tally.errorMessages,
    rate,
    warmupCalls: result.warmupCalls,
    gates: checkGates(thresholds, { calls: tally.calls, errorRate, p99Ms: latencyMs.p99 }),
    hdrHistogram: tally.histogram,
    generator: generatorReport(options.driver, result),
    timeSeries: tally.timeline.map(timeSeriesPoint),
    missingShards: missingShardsOf(options.shard, shardErrors),
  };
}

/** The generator's line, and the warning a person acts on when it was the bottleneck. */
function describeGenerator(g: GeneratorReport): string[] {
  const busy = g.threads.map((t) => t.eventLoopUtilization.toFixed(2)).join(', ');
  const known = g.threads.every((t) => t.cpuCores !== null && t.waitingCores !== null);
  const cores = known
    ? `; thread CPU ${g.threads.map((t) => (t.cpuCores as number).toFixed(2)).join(', ')} cores` +
      `, waiting for a CPU ${g.threads.map((t) => (t.waitingCores as number).toFixed(2)).join(', ')}`
    : '';
  const lines = [
    `  Generator:  ${g.driver} driver, ${g.cpuUsPerCall} µs CPU per call, ${g.coresUsed} cores; event loop busy ${busy}${cores}`,
  ];
  if (g.saturated) {
    lines.push(
      `  WARNING: the load generator was the bottleneck (a thread busy, or waiting for a CPU, ≥ ${SATURATED * 100} % of the run):`,
      '           these figures describe the generator, not the server. Add --workers or machines.',
    );
  }
  return lines;
}

const percent = (fraction: number): string => `${round(fraction * 100, 2)} %`;
const BAR_WIDTH = 40;

function describeGate(gate: GateResult): string {
  const verdict = gate.passed ? 'pass' : 'FAIL';
  return gate.gate === 'error-rate'
    ? `  ${verdict}  error rate ${percent(gate.actual)} (limit ${percent(gate.threshold)})`
    : `  ${verdict}  p99 ${gate.actual} ms (limit ${gate.threshold} ms)`;
}

/** "20 calls/s, +20 every 500 ms, up to 60 calls/s" */
export function describeRamp(ramp: Ramp, unit: string): string {
  const limits = [
    ...(ramp.end !== undefined ? [`${ramp.step > 0 ? 'up' : 'down'} to ${ramp.end} ${unit}`] : []),
    ...(ramp.maxMs !== undefined ? [`for at most ${ramp.maxMs} ms`] : []),
  ];
  return [`${ramp.start} ${unit}`, `${ramp.step > 0 ? '+' : ''}${ramp.step} every ${ramp.stepMs} ms`, ...limits].join(', ');
}

/** Seconds listed in the text report; longer runs are summed up (--format csv or html has them all). */
const TEXT_SECONDS = 60;

function describeTimeSeries(series: readonly TimeSeriesPoint[]): string[] {
  if (series.length > TEXT_SECONDS) return [`Per second: ${series.length} seconds (--format csv or html lists them)`];
  const first = series[0]?.second ?? 0;
  return [
    'Per second (completed calls; latency ms):',
    ...series.map((p) => {
      const errors = Object.values(p.errors).reduce((n, e) => n + e, 0);
      const l = p.latencyMs;
      return `  ${`+${p.second - first}s`.padStart(6)}  ${String(p.completed).padStart(7)} calls, ${errors} errors  p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`;
    }),
  ];
}

export function formatReport(report: LoadReport): string {
  const { options: o, latencyMs: l } = report;
  const ended = { total: 'total reached', duration: 'duration reached', interrupted: 'INTERRUPTED (partial report)' }[report.endReason];
  const tags = Object.entries(report.tags ?? {}).map(([key, value]) => `${key}=${value}`);
  const partial = describeMissingShards(report);
  const lines = [
    ...(partial === undefined ? [] : [partial]),
    ...(report.name ? [`Name: ${report.name}${tags.length > 0 ? ` (${tags.join(', ')})` : ''}`] : tags.length > 0 ? [`Tags: ${tags.join(', ')}`] : []),
    `Load test: ${report.shape}${o.call.startsWith('helloworld.Greeter/') ? '' : ` ${o.call}`} on ${report.target}; ` +
      `${o.concurrency} in flight over ${o.connections} connection(s)` +
      (o.workers > 1 ? ` from ${o.workers} workers` : ''),
    ...(o.loadSchedule ? [`  Schedule:   ${describeRamp(o.loadSchedule, 'calls/s')}`] : []),
    ...(o.concurrencySchedule ? [`  Schedule:   ${describeRamp(o.concurrencySchedule, 'in flight')}`] : []),
    `  Ended:      ${ended} after ${round(report.elapsedMs / 1000, 2)} s` + (report.warmupCalls > 0 ? ` (plus ${report.warmupCalls} warm-up calls)` : ''),
    `  Calls:      ${report.count}, ${report.rps} calls/s; ${report.errors} errors (${percent(report.errorRate)})`,
    `  Messages:   ${report.messagesSent} sent (${report.messagesSentPerSecond}/s), ${report.messagesReceived} received (${report.messagesReceivedPerSecond}/s)`,
    ...describeGenerator(report.generator),
  ];
  if (o.shard !== null) lines.splice(1, 0, `  Shards:     ${o.shard.indices.join(', ')} of ${o.shard.of}${o.shard.indices.length < o.shard.of ? ' (part of the plan: merge every shard\'s report with `load merge`)' : ''}`);
  if (report.rate) {
    const r = report.rate;
    lines.push(
      `  Rate:       asked ${r.askedRps}/s, achieved ${r.achievedRps}/s (${percent(r.shortfall)} short); latest start ${r.maxStartLagMs} ms after due`,
    );
  }
  lines.push(
    '',
    `Latency (ms, from ${report.latencyMeasuredFrom}):`,
    `  min ${l.min}  mean ${l.mean}  p50 ${l.p50}  p90 ${l.p90}  p95 ${l.p95}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`,
  );
  if (report.histogram.length > 0) {
    const most = Math.max(...report.histogram.map((b) => b.count));
    lines.push('', 'Latency histogram (ms, bucket upper bound [calls]):');
    for (const b of report.histogram) {
      lines.push(`  ${String(b.mark).padStart(10)} [${b.count}]\t|${'∎'.repeat(Math.round((b.count / most) * BAR_WIDTH))}`);
    }
  }
  lines.push('', ...describeTimeSeries(report.timeSeries));
  lines.push('', 'Status codes:');
  for (const [code, n] of Object.entries(report.statusCodeDistribution)) lines.push(`  [${code}]\t${n} calls`);
  if (report.errors > 0) {
    lines.push('', 'Errors:');
    for (const [message, n] of Object.entries(report.errorDistribution)) lines.push(`  [${n}]\t${message}`);
  }
  if (report.gates.length > 0) lines.push('', 'Gates:', ...report.gates.map(describeGate));
  return `${lines.join('\n')}\n`;
}
