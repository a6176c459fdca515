// Reading JSON load reports from files, for `load merge` and `load compare`: a file that is not one
// is a usage error (exit 2) that names it.
import { readFileSync } from 'node:fs';
import { UsageError } from '../client/flags.js';
import { checkReport, MergeError, type NamedReport } from '../load/merge.js';
import type { LoadReport } from '../load/report.js';

export function readReport(file: string): NamedReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  let named: NamedReport;
  try {
    named = { name: file, report: JSON.parse(text) as LoadReport };
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message}): give reports made with 'cloudrun-grpc load … --format json'`);
  }
  try {
    checkReport(named);
  } catch (error) {
    if (error instanceof MergeError) throw new UsageError(error.message);
    throw error;
  }
  return named;
}
