// Two reports side by side (a baseline and a new run, e.g. two releases):
// throughput, latency percentiles, error rate and whether the generator was
// the bottleneck, with NEW / BASE ratios, and a regression verdict for CI.
import type { LoadReport } from './report.js';

export interface ComparedFigure {
  readonly figure: string;
  readonly base: number | boolean;
  readonly new: number | boolean;
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
}

const ratio = (base: number, next: number): number | null => (base > 0 ? Math.round((next / base) * 1000) / 1000 : null);
const pct = (fraction: number): string => `${Math.round(fraction * 10000) / 100} %`;

export function compareReports(base: LoadReport, next: LoadReport, planDifferences: readonly string[], limit: number | null): Comparison {
  const numbers: [string, (r: LoadReport) => number][] = [
    ['calls/s', (r) => r.rps],
    ['p50 ms', (r) => r.latencyMs.p50],
    ['p90 ms', (r) => r.latencyMs.p90],
    ['p99 ms', (r) => r.latencyMs.p99],
    ['p99.9 ms', (r) => r.latencyMs.p999],
    ['error rate', (r) => r.errorRate],
  ];
  const figures: ComparedFigure[] = [
    ...numbers.map(([figure, pick]) => ({ figure, base: pick(base), new: pick(next), ratio: ratio(pick(base), pick(next)) })),
    { figure: 'generator saturated', base: base.generator.saturated, new: next.generator.saturated, ratio: null },
  ];
  const regressions: string[] = [];
  if (limit !== null) {
    if (next.latencyMs.p99 > base.latencyMs.p99 * (1 + limit)) {
      regressions.push(`p99 ${base.latencyMs.p99} ms → ${next.latencyMs.p99} ms, more than ${pct(limit)} slower`);
    }
    if (next.rps < base.rps * (1 - limit)) regressions.push(`throughput ${base.rps} → ${next.rps} calls/s, more than ${pct(limit)} lower`);
  }
  return { figures, planDifferences, regressions, limit };
}

export function formatComparison(c: Comparison, baseName: string, newName: string): string {
  const cell = (v: number | boolean | null): string => (v === null ? '' : String(v));
  const rows = [['', baseName, newName, 'new/base'], ...c.figures.map((f) => [f.figure, cell(f.base), cell(f.new), cell(f.ratio)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const lines = rows.map((r) => `  ${r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('   ')}`.trimEnd());
  if (c.planDifferences.length > 0) lines.push('', 'The plans differ:', ...c.planDifferences.map((d) => `  ${d}`));
  if (c.limit !== null) {
    lines.push('', c.regressions.length === 0 ? `No regression beyond ${pct(c.limit)} on p99 or throughput.` : 'REGRESSION:');
    lines.push(...c.regressions.map((r) => `  ${r}`));
  }
  return `${lines.join('\n')}\n`;
}
