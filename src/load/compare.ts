// Two runs side by side (a baseline and a new run, e.g. two releases), each
// side one report or several of repeated runs: throughput, latency
// percentiles, error rate and whether the generator was the bottleneck (each
// side's median, and its spread over its runs), with NEW / BASE ratios, and a
// regression verdict for CI that trips only on a change larger than the limit
// and larger than either side's spread (the noise between repeated runs).
import type { LoadReport } from './report.js';

export interface ComparedFigure {
  readonly figure: string;
  /** The side's median over its runs (a flag: whether any run had it). */
  readonly base: number | boolean;
  readonly new: number | boolean;
  /** The side's spread over its runs: highest minus lowest, or from 5 runs the interquartile range (0 for one run); null for a flag. */
  readonly baseSpread: number | null;
  readonly newSpread: number | null;
  /** new / base; null where it means nothing (a flag, or base 0). */
  readonly ratio: number | null;
}

export interface Comparison {
  readonly figures: readonly ComparedFigure[];
  /** Settings in which the two plans differ (a comparison of unlike runs says so). */
  readonly planDifferences: readonly string[];
  /** With a limit: what got worse beyond it (p99 up, or throughput down, by more than the limit). */
  readonly regressions: readonly string[];
  /** The limit (0.05 = 5 %), or null when none was given. */
  readonly limit: number | null;
  /** Reports on each side. */
  readonly runs: { readonly base: number; readonly new: number };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A value at fraction `q` of the sorted values, interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const below = sorted[Math.floor(at)] as number;
  return below + ((sorted[Math.ceil(at)] as number) - below) * (at - Math.floor(at));
}

/**
 * The runs' spread: highest minus lowest for up to 4 runs; from 5, the interquartile range, so that one run
 * disturbed by something else on the machine does not hide a change the others all show.
 */
function spread(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length < 5) return (sorted[sorted.length - 1] as number) - (sorted[0] as number);
  return quantile(sorted, 0.75) - quantile(sorted, 0.25);
}
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const ratio = (base: number, next: number): number | null => (base > 0 ? Math.round((next / base) * 1000) / 1000 : null);
const pct = (fraction: number): string => `${Math.round(fraction * 10000) / 100} %`;

/**
 * BASE's reports against NEW's (one or more each, repeated runs of one plan). With a limit, p99 up or calls/s
 * down is a regression when the medians differ by more than the limit and by more than either side's spread.
 */
export function compareReports(bases: readonly LoadReport[], nexts: readonly LoadReport[], planDifferences: readonly string[], limit: number | null): Comparison {
  const numbers: [string, (r: LoadReport) => number][] = [
    ['calls/s', (r) => r.rps],
    ['p50 ms', (r) => r.latencyMs.p50],
    ['p90 ms', (r) => r.latencyMs.p90],
    ['p99 ms', (r) => r.latencyMs.p99],
    ['p99.9 ms', (r) => r.latencyMs.p999],
    ['error rate', (r) => r.errorRate],
  ];
  const figureOf = ([figure, pick]: [string, (r: LoadReport) => number]): ComparedFigure & { base: number; new: number; baseSpread: number; newSpread: number } => {
    const [b, n] = [bases.map(pick), nexts.map(pick)];
    return { figure, base: round3(median(b)), new: round3(median(n)), baseSpread: round3(spread(b)), newSpread: round3(spread(n)), ratio: ratio(median(b), median(n)) };
  };
  const numeric = numbers.map(figureOf);
  const figures: ComparedFigure[] = [
    ...numeric,
    { figure: 'generator saturated', base: bases.some((r) => r.generator.saturated), new: nexts.some((r) => r.generator.saturated), baseSpread: null, newSpread: null, ratio: null },
  ];
  const regressions: string[] = [];
  if (limit !== null) {
    const p99 = numeric.find((f) => f.figure === 'p99 ms') as (typeof numeric)[number];
    const rps = numeric.find((f) => f.figure === 'calls/s') as (typeof numeric)[number];
    const noise = (f: typeof p99): number => Math.max(f.baseSpread, f.newSpread);
    const beyond = (f: typeof p99): string => (noise(f) > 0 ? ` and by more than the runs' spread (${noise(f)})` : '');
    if (p99.new - p99.base > p99.base * limit && p99.new - p99.base > noise(p99)) {
      regressions.push(`p99 ${p99.base} ms → ${p99.new} ms, more than ${pct(limit)} slower${beyond(p99)}`);
    }
    if (rps.base - rps.new > rps.base * limit && rps.base - rps.new > noise(rps)) {
      regressions.push(`throughput ${rps.base} → ${rps.new} calls/s, more than ${pct(limit)} lower${beyond(rps)}`);
    }
  }
  return { figures, planDifferences, regressions, limit, runs: { base: bases.length, new: nexts.length } };
}

export function formatComparison(c: Comparison, baseName: string, newName: string): string {
  const cell = (v: number | boolean | null): string => (v === null ? '' : String(v));
  const several = c.runs.base > 1 || c.runs.new > 1;
  const withSpread = (v: number | boolean, spread: number | null): string => (several && spread !== null ? `${cell(v)} ±${spread / 2}` : cell(v));
  const heading = several ? ['', `${baseName} (median of ${c.runs.base})`, `${newName} (median of ${c.runs.new})`, 'new/base'] : ['', baseName, newName, 'new/base'];
  const rows = [heading, ...c.figures.map((f) => [f.figure, withSpread(f.base, f.baseSpread), withSpread(f.new, f.newSpread), cell(f.ratio)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const lines = rows.map((r) => `  ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('   ')}`.trimEnd());
  if (c.planDifferences.length > 0) lines.push('', 'The plans differ:', ...c.planDifferences.map((d) => `  ${d}`));
  if (c.limit !== null) {
    lines.push('', c.regressions.length === 0 ? `No regression beyond ${pct(c.limit)} on p99 or throughput${several ? ' and beyond the runs\' spread' : ''}.` : 'REGRESSION:');
    lines.push(...c.regressions.map((r) => `  ${r}`));
    if (!several) lines.push('(one run a side: any change beyond the limit counts, noise too; give 5 or more runs a side for a gate: see docs/load-testing.md)');
  }
  return `${lines.join('\n')}\n`;
}
