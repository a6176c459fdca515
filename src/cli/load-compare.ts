// `cloudrun-grpc load compare BASE.json NEW.json` (or BASE… vs NEW…, several
// repeated runs a side): side by side, and a CI gate (--fail-on-regression X%)
// on p99 latency and throughput that knows the runs' noise.
import { fraction, UsageError } from '../client/flags.js';
import { compareReports, formatComparison } from '../load/compare.js';
import { planDifferences, type NamedReport } from '../load/merge.js';
import { parseCommandArgs } from './call.js';
import type { Command } from './command.js';
import { OUTPUT_FLAGS, outputFromFlags, writeOutput } from './load-output.js';
import { readReport } from './load-reports.js';

const COMPARE_FLAGS = {
  'fail-on-regression': { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `Usage: cloudrun-grpc load compare BASE.json NEW.json [options]
   or: cloudrun-grpc load compare BASE.json... vs NEW.json... [options]

Puts JSON load reports side by side: calls/s, p50, p90, p99, p99.9, error rate and whether the
generator was the bottleneck, with NEW/BASE ratios; notes the options in which the plans differ.
With several reports a side (repeated runs of one plan, before and after), each figure is the side's
median, ± half its spread (highest minus lowest; from 5 runs, the interquartile range).

  --fail-on-regression X exit 1 when NEW's p99 is above BASE's, or its calls/s below BASE's, by more
                         than X (5% or 0.05) and by more than either side's spread: noise between runs
                         does not trip it. One run a side has no spread: give 5 or more for a CI gate
  --format F             summary (a table, the default) | json
  --json                 the same as --format json
  -o, --output FILE      write the comparison to FILE instead of stdout

Exit 0; 1 on a regression beyond --fail-on-regression; 2 when a file cannot be read.`;

/** BASE NEW, or BASE… vs NEW… */
function sides(positionals: readonly string[]): [string[], string[]] {
  const at = positionals.indexOf('vs');
  if (at === -1) {
    if (positionals.length !== 2) throw new UsageError(`give two JSON reports, BASE and NEW, or BASE… vs NEW…; got ${positionals.length} and no "vs"`);
    return [[positionals[0] as string], [positionals[1] as string]];
  }
  const [bases, nexts] = [positionals.slice(0, at), positionals.slice(at + 1)];
  if (bases.length === 0 || nexts.length === 0 || nexts.includes('vs')) throw new UsageError('give BASE.json… vs NEW.json…: at least one report on each side of one "vs"');
  return [bases, nexts];
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'two JSON reports side by side, with ratios and a regression gate',
  usage: USAGE,
  // --help is the dispatcher's (src/cli.ts), as for every command.
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, COMPARE_FLAGS);
    const output = outputFromFlags(values, ['summary', 'json']);
    const [baseFiles, newFiles] = sides(positionals);
    const limit = values['fail-on-regression'] === undefined ? null : fraction('fail-on-regression', values['fail-on-regression']);
    const [bases, nexts] = [baseFiles.map((file) => readReport(file)), newFiles.map((file) => readReport(file))];
    const differences = new Set([...bases, ...nexts].slice(1).flatMap((other) => planDifferences((bases[0] as NamedReport).report, other.report)));
    const comparison = compareReports(bases.map((r) => r.report), nexts.map((r) => r.report), [...differences], limit);
    const name = (files: readonly string[]): string => (files.length === 1 ? (files[0] as string) : `${files.length} runs`);
    writeOutput(output.format === 'json' ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison, name(baseFiles), name(newFiles)), output, io);
    return comparison.regressions.length === 0 ? 0 : 1;
  },
};
