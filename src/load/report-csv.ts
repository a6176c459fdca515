// The report as CSV for spreadsheets: one row per second of the measured
// phase (RFC 4180: a header row, CRLF line ends, fields quoted when needed).
import * as grpc from '@grpc/grpc-js';
import type { CallLogSnapshot } from './call-log.js';
import type { LoadReport } from './report.js';

/** One CSV field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRows(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/**
 * Columns: the second (Unix seconds and ISO 8601), calls started and completed in it, errors, latency
 * percentiles of the calls completed in it (ms), then one column of errors per status code in the run, and
 * missing_shards when the report covers only some shards of its plan.
 */
export function reportCsv(report: LoadReport): string {
  const codes = Object.keys(report.statusCodeDistribution).filter((code) => code !== 'OK');
  // A partial merge says so on every row: the shards missing, as "1;2".
  const missing = (report.missingShards ?? []).map((m) => m.index).join(';');
  const header = ['second', 'time', 'started', 'completed', 'errors', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', ...codes.map((code) => `errors_${code}`), ...(missing === '' ? [] : ['missing_shards'])];
  const rows = report.timeSeries.map((p) => [
    p.second,
    new Date(p.second * 1000).toISOString(),
    p.started,
    p.completed,
    Object.values(p.errors).reduce((n, e) => n + e, 0),
    p.latencyMs.p50,
    p.latencyMs.p90,
    p.latencyMs.p99,
    p.latencyMs.max,
    ...codes.map((code) => p.errors[code] ?? 0),
    ...(missing === '' ? [] : [missing]),
  ]);
  return csvRows([header, ...rows]);
}

/** --csv-calls: one row per call in the order they started, ghz's columns after the start time. */
export function callsCsv(log: CallLogSnapshot): string {
  const rows = Array.from(log.startMs, (startMs, i) => {
    const code = log.code[i] as number;
    return [new Date(startMs).toISOString(), Math.round((log.latencyMs[i] as number) * 1000) / 1000, grpc.status[code] ?? String(code), log.details.get(i) ?? ''];
  });
  return csvRows([['timestamp', 'duration (ms)', 'status', 'error'], ...rows]);
}
