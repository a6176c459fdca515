// Where a load report goes and in which form, shared by `load`, `load merge`
// and `load compare`: --format (ghz's names), --json (an alias of --format
// json) and -o/--output FILE.
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../client/flags.js';
import { MAX_LOGGED_CALLS } from '../load/call-log.js';
import { formatReport, type LoadReport } from '../load/report.js';
import { reportCsv } from '../load/report-csv.js';
import { reportHtml } from '../load/report-html.js';
import { influxSummary, prometheusText } from '../load/report-lines.js';
import type { CommandIO } from './command.js';

export const FORMATS = ['summary', 'json', 'pretty', 'csv', 'html', 'influx-summary', 'prometheus'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export const OUTPUT_FLAGS = {
  format: { type: 'string', short: 'O' },
  json: { type: 'boolean', default: false },
  output: { type: 'string', short: 'o' },
} as const satisfies ParseArgsConfig['options'];

export const OUTPUT_FLAGS_USAGE = `  -O, --format F         summary (text, the default) | json (pretty: the same) | csv (one row per
                         second) | html (one self-contained page with charts, viewable offline) |
                         influx-summary (InfluxDB line protocol) | prometheus (text exposition), as ghz.
                         Without it, -o FILE's extension chooses: .json, .csv, .html or .htm
  --json                 the same as --format json
  -o, --output FILE      write the report to FILE instead of stdout`;

/** -o FILE's extension → the format, when --format is not given. */
const FORMAT_OF_EXTENSION: Readonly<Record<string, ReportFormat>> = { '.json': 'json', '.csv': 'csv', '.html': 'html', '.htm': 'html' };

/** `load` only: its calls one by one (merged reports have no such list). */
export const CALL_LIST_FLAGS = {
  'csv-calls': { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

export const CALL_LIST_FLAGS_USAGE = `  --csv-calls            CSV of every call instead of every second, as ghz writes it: start time,
                         duration (ms), status, error; implies --format csv. At most the first
                         ${MAX_LOGGED_CALLS.toLocaleString('en-US')} calls are listed (with --workers, each thread lists its share);
                         the rest are only counted (a note on stderr says how many)`;

export interface ReportOutput {
  readonly format: ReportFormat;
  /** Undefined: stdout. */
  readonly file: string | undefined;
  /** --csv-calls: one CSV row per call. */
  readonly csvCalls: boolean;
}

export function outputFromFlags(
  values: { format?: string; json?: boolean; output?: string; 'csv-calls'?: boolean },
  formats: readonly ReportFormat[] = FORMATS,
): ReportOutput {
  const csvCalls = values['csv-calls'] === true;
  if (csvCalls && (values.json || (values.format !== undefined && values.format !== 'csv'))) {
    throw new UsageError(`--csv-calls lists calls as CSV; it cannot go with --format ${values.format ?? 'json'}`);
  }
  const byExtension = values.output === undefined ? undefined : FORMAT_OF_EXTENSION[extname(values.output).toLowerCase()];
  const implied = byExtension !== undefined && formats.includes(byExtension) ? byExtension : 'summary';
  const asked = values.format ?? (values.json ? 'json' : csvCalls ? 'csv' : implied);
  if (asked === 'influx-details') throw new UsageError('--format influx-details (ghz: one line per call) is not here: --csv-calls lists every call');
  const format = formats.find((f) => f === asked);
  if (format === undefined) throw new UsageError(`--format: "${asked}" is not one of ${formats.join(', ')}`);
  if (values.json && format !== 'json') throw new UsageError(`--json is --format json; it cannot go with --format ${format}`);
  if (values.output === '') throw new UsageError('--output: give a file name');
  if (values.output !== undefined) {
    // Checked before the run, so that a run is not lost to a typo in the path.
    try {
      accessSync(dirname(values.output), constants.W_OK);
    } catch (error) {
      throw new UsageError(`--output: cannot write in the directory of "${values.output}" (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return { format, file: values.output, csvCalls };
}

export function renderReport(report: LoadReport, format: ReportFormat): string {
  switch (format) {
    case 'summary':
      return formatReport(report);
    case 'json':
    case 'pretty':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return reportCsv(report);
    case 'html':
      return reportHtml(report);
    case 'influx-summary':
      return influxSummary(report);
    case 'prometheus':
      return prometheusText(report);
  }
}

/** Writes `text` where the output goes: the file named by -o, or stdout. */
export function writeOutput(text: string, output: ReportOutput, io: CommandIO): void {
  if (output.file === undefined) io.stdout.write(text);
  else writeFileSync(output.file, text);
}
