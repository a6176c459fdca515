// Reading JSON load reports from files, for `load merge` and `load compare`: a file that is not one
// is a usage error (exit 2) that names it.
import { readFileSync } from 'node:fs';
import { UsageError } from '../client/flags.js';
import { checkReport, failedShardOf, MergeError, type FailedShard, type NamedReport } from '../load/merge.js';
import type { LoadReport } from '../load/report.js';

/** A report to compare: the report of a run that could not start is refused. */
export function readReport(file: string): NamedReport {
  const input = readMergeInput(file);
  if ('error' in input) throw new UsageError(`${file} is the report of a run that could not start: ${input.error}`);
  return input;
}

/** A merge's input: a report, or the JSON a shard that could not run wrote. */
export function readMergeInput(file: string): NamedReport | FailedShard {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  let named: NamedReport;
  try {
    named = { name: file, report: parseReportText(text) as LoadReport };
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message}): give reports made with 'cloudrun-grpc load … --format json'`);
  }
  const failed = failedShardOf(file, named.report);
  if (failed !== undefined) return failed;
  try {
    checkReport(named);
  } catch (error) {
    if (error instanceof MergeError) throw new UsageError(error.message);
    throw error;
  }
  return named;
}

/**
 * The JSON report in `text`: all of it, or, when other lines surround it (`kubectl logs` gives a pod's stderr
 * with its stdout), the block from the first line that is "{" to the last that is "}".
 */
function parseReportText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.trimEnd() === '{');
    const end = lines.findLastIndex((line) => line.trimEnd() === '}');
    if (start === -1 || end <= start) throw error;
    return JSON.parse(lines.slice(start, end + 1).join('\n'));
  }
}
