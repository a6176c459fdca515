// Reports of one plan, run as shards (--shard I/N) or on several machines, as
// one exact report: counts and codes add up, histograms and the time series
// (second by second, on wall-clock seconds) merge from HdrHistogram's encoding.
// The merged run is read as if the reports' threads had been one process's
// --workers: elapsed time is the longest, rates add up.
import type { GateThresholds } from './gates.js';
import { reportOf, type LoadReport, type ReportPlan } from './report.js';
import type { RunResult } from './runner.js';
import type { TallySnapshot } from './tally.js';
import { mergeResults } from './workers.js';

/** A report and where it came from (a file name), for messages. */
export interface NamedReport {
  readonly name: string;
  readonly report: LoadReport;
}

/** Reports that cannot be merged; the message says why. */
export class MergeError extends Error {
  override name = 'MergeError';
}

/** The flag behind an option of the report, for messages. */
const FLAGS: Readonly<Record<string, string>> = {
  target: 'the target',
  durationMs: '--duration',
  warmupMs: '--warmup',
  deadlineMs: '--deadline',
  connectTimeoutMs: '--connect-timeout',
  intervalMs: '--interval-ms',
  skipFirst: '--skipFirst',
};
const flagOf = (key: string): string => FLAGS[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function thresholdsOf(report: LoadReport): GateThresholds {
  const threshold = (gate: string): number | undefined => report.gates.find((g) => g.gate === gate)?.threshold;
  const errorRate = threshold('error-rate');
  const p99Ms = threshold('p99-ms');
  return { ...(errorRate !== undefined && { errorRate }), ...(p99Ms !== undefined && { p99Ms }) };
}

/** What must agree between reports of one plan, by the flag that sets it; the shard is apart. */
function planSettings(report: LoadReport): Map<string, unknown> {
  const { shard, ...options } = report.options;
  const { errorRate, p99Ms } = thresholdsOf(report);
  return new Map<string, unknown>([
    ['the target', report.target],
    ['--shape', report.shape],
    ...Object.entries(options).map(([key, value]): [string, unknown] => [flagOf(key), value]),
    ['--shard N', shard?.of ?? null],
    ['--fail-on-error-rate', errorRate ?? null],
    ['--fail-on-p99-ms', p99Ms ?? null],
  ]);
}

const REQUIRED: readonly (keyof LoadReport)[] = ['options', 'hdrHistogram', 'timeSeries', 'generator', 'statusCodeDistribution', 'errorDistribution'];

/** Throws a MergeError when `report` is not a JSON load report this version can read. */
export function checkReport({ name, report }: NamedReport): void {
  const missing = typeof report === 'object' && report !== null ? REQUIRED.filter((key) => (report as Partial<LoadReport>)[key] === undefined) : REQUIRED;
  if (missing.length > 0) {
    throw new MergeError(`${name} is not a JSON load report of this version (no ${missing.join(', ')}): make it with 'cloudrun-grpc load … --format json'`);
  }
}

/** The settings in which two reports' plans differ, as "--rps is 100 in one and 200 in the other". */
export function planDifferences(a: LoadReport, b: LoadReport): string[] {
  const [left, right] = [planSettings(a), planSettings(b)];
  return [...new Set([...left.keys(), ...right.keys()])].flatMap((key) => {
    const [x, y] = [JSON.stringify(left.get(key) ?? null), JSON.stringify(right.get(key) ?? null)];
    return x === y ? [] : [`${key} is ${x} in one and ${y} in the other`];
  });
}

/** Throws a MergeError naming the first option in which the reports differ, or a shard given twice. */
export function checkSamePlan(reports: readonly NamedReport[]): void {
  reports.forEach(checkReport);
  const [first, ...others] = reports as [NamedReport, ...NamedReport[]];
  for (const other of others) {
    const [difference] = planDifferences(first.report, other.report);
    if (difference !== undefined) throw new MergeError(`${first.name} and ${other.name} are reports of different plans: ${difference}`);
  }
  const seen = new Map<number, string>();
  for (const { name, report } of reports) {
    for (const index of report.options.shard?.indices ?? []) {
      const earlier = seen.get(index);
      if (earlier !== undefined) throw new MergeError(`shard ${index}/${report.options.shard?.of} is in both ${earlier} and ${name}: each part of the plan may be merged once`);
      seen.set(index, name);
    }
  }
}

function resultOf(report: LoadReport): RunResult {
  const tally: TallySnapshot = {
    calls: report.count,
    errors: report.errors,
    sent: report.messagesSent,
    received: report.messagesReceived,
    codes: report.statusCodeDistribution,
    errorMessages: report.errorDistribution,
    histogram: report.hdrHistogram,
    // coveredMs: reports written before it was (whole seconds then).
    timeline: report.timeSeries.map(({ second, started, completed, coveredMs = 1000, errors, hdrHistogram }) => ({ second, started, completed, coveredMs, errors, histogram: hdrHistogram })),
  };
  const { cpuMs, wallMs, threads } = report.generator;
  return {
    tally,
    warmupCalls: report.warmupCalls,
    elapsedMs: report.elapsedMs,
    startSpanMs: report.rate?.startSpanMs ?? 0,
    maxStartLagMs: report.rate?.maxStartLagMs ?? 0,
    interrupted: report.endReason === 'interrupted',
    usage: { cpuMs, wallMs, threads },
  };
}

/** What a shard that could not run wrote (load --format json when the target could not be reached). */
export interface FailedShard {
  readonly name: string;
  readonly index: number;
  readonly of: number;
  readonly error: string;
}

/** The failed shard `json` (from the file `name`) tells of, if it is one: {"error": {...}, "options": {"shard": ...}}. */
export function failedShardOf(name: string, json: unknown): FailedShard | undefined {
  const failed = json as { error?: { message?: unknown }; options?: { shard?: { indices?: unknown; of?: unknown } | null } } | null;
  const shard = failed?.options?.shard;
  if (typeof failed?.error?.message !== 'string' || !Array.isArray(shard?.indices) || shard.indices.length !== 1 || typeof shard.of !== 'number') return undefined;
  return { name, index: shard.indices[0] as number, of: shard.of, error: failed.error.message };
}

export interface MergeOptions {
  /** Merge even when shards of the plan are missing; the report then names them. */
  readonly allowPartial?: boolean;
  /** Shards that could not run: missing, with their error. */
  readonly failed?: readonly FailedShard[];
}

/**
 * One report of every call of `reports` (at least one), which must be of one plan (checkSamePlan). A plan
 * split by --shard must be whole, unless `allowPartial`: then the report's missingShards names what is not in it.
 */
export function mergeReports(reports: readonly NamedReport[], { allowPartial = false, failed = [] }: MergeOptions = {}): LoadReport {
  const failures = failed.map((f) => `${f.name} (shard ${f.index}/${f.of}) could not run: ${f.error}`);
  if (reports.length === 0) throw new MergeError(failures.length > 0 ? `no shard ran: ${failures.join('; ')}` : 'give at least one report');
  checkSamePlan(reports);
  if (!allowPartial && failures.length > 0) throw new MergeError(`${failures.join('; ')}; --allow-partial merges the others`);
  // In shard order, so that the same reports merge to the same report however they are given.
  const firstShard = (r: LoadReport): number => r.options.shard?.indices[0] ?? 0;
  const all = reports.map((r) => r.report).sort((a, b) => firstShard(a) - firstShard(b));
  const first = all[0] as LoadReport;
  const results = all.map(resultOf);
  const usage = {
    cpuMs: results.reduce((n, r) => n + r.usage.cpuMs, 0),
    wallMs: Math.max(...results.map((r) => r.usage.wallMs)),
    threads: [],
  };
  const shard = first.options.shard;
  const described: ReportPlan = {
    name: first.name,
    tags: first.tags,
    target: first.target,
    shape: first.shape,
    options: {
      ...first.options,
      shard: shard === null ? null : { indices: all.flatMap((r) => r.options.shard?.indices ?? []).sort((a, b) => a - b), of: shard.of },
    },
  };
  const date = new Date(Math.max(...all.map((r) => Date.parse(r.date))));
  const errors = new Map<number, string>([
    ...all.flatMap((r) => (r.missingShards ?? []).flatMap((m): [number, string][] => (m.error === null ? [] : [[m.index, m.error]]))),
    ...failed.filter((f) => f.of === shard?.of).map((f): [number, string] => [f.index, f.error]),
  ]);
  const merged = reportOf(described, mergeResults(results, usage), thresholdsOf(first), date, errors);
  if (!allowPartial && merged.missingShards.length > 0) {
    const missing = merged.missingShards.map((m) => m.index).join(', ');
    throw new MergeError(`the plan has ${shard?.of} shards and shard${merged.missingShards.length > 1 ? 's' : ''} ${missing} ${merged.missingShards.length > 1 ? 'are' : 'is'} missing: give every shard's report, or --allow-partial to merge these alone (the report then says which are missing)`);
  }
  return merged;
}
