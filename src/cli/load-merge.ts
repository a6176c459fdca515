// `cloudrun-grpc load merge REPORT.json...`: the JSON reports of one plan's
// shards (or of the same plan run on several machines) as one exact report.
import { UsageError } from '../client/flags.js';
import { MergeError, mergeReports, type FailedShard, type NamedReport } from '../load/merge.js';
import { parseCommandArgs } from './call.js';
import type { Command } from './command.js';
import { OUTPUT_FLAGS, OUTPUT_FLAGS_USAGE, outputFromFlags, renderReport, writeOutput } from './load-output.js';
import { readMergeInput } from './load-reports.js';

const MERGE_FLAGS = {
  ...OUTPUT_FLAGS,
  'allow-partial': { type: 'boolean', default: false },
} as const;

const USAGE = `Usage: cloudrun-grpc load merge REPORT.json... [options]

Merges the JSON reports (load --format json) of one plan, such as the pods of an Indexed Job that each
ran --shard I/N, into one report: counts, status codes and errors add up, and the latency histograms
and the time series (aligned on wall-clock seconds) merge exactly. Reports of different plans are
refused, naming the option that differs; a shard given twice is refused. A report may come with other
lines around it (kubectl logs of a pod): the block from a line "{" to a line "}" is read.

A plan split by --shard must be whole: a missing shard, or the report of one that could not run
(load --format json writes {"error": …} with the plan), is refused, naming it and its error.
  --allow-partial        merge what there is: every format then says which shards are missing, and why
                         when their report said

Report:
${OUTPUT_FLAGS_USAGE}

Exit 0; 1 when a --fail-on gate of the plan fails on the merged figures; 2 when a file cannot be
read or the reports are not of one plan.`;

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge the JSON reports of one plan (--shard runs) into one exact report',
  usage: USAGE,
  // --help is the dispatcher's (src/cli.ts), as for every command.
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, MERGE_FLAGS);
    const output = outputFromFlags(values);
    if (positionals.length === 0) throw new UsageError('give the JSON reports to merge');
    let report;
    try {
      const inputs = positionals.map(readMergeInput);
      const failed = inputs.filter((input): input is FailedShard => 'error' in input);
      const reports = inputs.filter((input): input is NamedReport => 'report' in input);
      report = mergeReports(reports, { allowPartial: values['allow-partial'], failed });
    } catch (error) {
      if (error instanceof MergeError) throw new UsageError(error.message);
      throw error;
    }
    writeOutput(renderReport(report, output.format), output, io);
    return report.gates.every((gate) => gate.passed) ? 0 : 1;
  },
};
