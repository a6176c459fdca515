// `cloudrun-grpc load compare BASE.json NEW.json`: two runs side by side, and
// a CI gate (--fail-on-regression X%) on p99 latency and throughput.
import { fraction, UsageError } from '../client/flags.js';
import { compareReports, formatComparison } from '../load/compare.js';
import { planDifferences } from '../load/merge.js';
import { parseCommandArgs } from './call.js';
import type { Command } from './command.js';
import { OUTPUT_FLAGS, outputFromFlags, writeOutput } from './load-output.js';
import { readReport } from './load-reports.js';

const COMPARE_FLAGS = {
  'fail-on-regression': { type: 'string' },
  ...OUTPUT_FLAGS,
} as const;

const USAGE = `Usage: cloudrun-grpc load compare BASE.json NEW.json [options]

Puts two JSON load reports side by side: calls/s, p50, p90, p99, p99.9, error rate and whether the
generator was the bottleneck, with NEW/BASE ratios; notes the options in which the plans differ.

  --fail-on-regression X exit 1 when NEW's p99 is above BASE's by more than X, or its calls/s below
                         BASE's by more than X (5% or 0.05)
  --format F             summary (a table, the default) | json
  --json                 the same as --format json
  -o, --output FILE      write the comparison to FILE instead of stdout

Exit 0; 1 on a regression beyond --fail-on-regression; 2 when a file cannot be read.`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'two JSON reports side by side, with ratios and a regression gate',
  usage: USAGE,
  // --help is the dispatcher's (src/cli.ts), as for every command.
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, COMPARE_FLAGS);
    const output = outputFromFlags(values, ['summary', 'json']);
    if (positionals.length !== 2) throw new UsageError(`give two JSON reports, BASE and NEW; got ${positionals.length}`);
    const limit = values['fail-on-regression'] === undefined ? null : fraction('fail-on-regression', values['fail-on-regression']);
    const [base, next] = positionals.map((file) => readReport(file)) as [ReturnType<typeof readReport>, ReturnType<typeof readReport>];
    const comparison = compareReports(base.report, next.report, planDifferences(base.report, next.report), limit);
    writeOutput(output.format === 'json' ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison, base.name, next.name), output, io);
    return comparison.regressions.length === 0 ? 0 : 1;
  },
};
