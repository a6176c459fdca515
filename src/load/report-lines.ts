// ghz's line formats of the report's totals: InfluxDB line protocol
// (-O influx-summary: one `ghz_run` point) and Prometheus text exposition
// (-O prometheus: gauges and the latency histogram), named as ghz names them.
import type { LoadReport } from './report.js';

const NS_PER_MS = 1e6;

/** A tag value or key in line protocol: commas, spaces and equals signs escaped. */
const tag = (text: string): string => text.replace(/[,= ]/g, (c) => `\\${c}`);

function tagsOf(report: LoadReport): string {
  const tags: [string, string][] = [['call', report.options.call], ['host', report.target], ...(report.name ? [['name', report.name] as [string, string]] : []), ...Object.entries(report.tags ?? {})];
  return tags.map(([key, value]) => `${tag(key)}=${tag(value)}`).join(',');
}

/** One `ghz_run` point: counts as integers, times in nanoseconds, at the report's date. */
export function influxSummary(report: LoadReport): string {
  const l = report.latencyMs;
  const ns = (ms: number): number => Math.round(ms * NS_PER_MS);
  const fields = [
    `count=${report.count}i`,
    `total=${ns(report.elapsedMs)}i`,
    `average=${ns(l.mean)}i`,
    `fastest=${ns(l.min)}i`,
    `slowest=${ns(l.max)}i`,
    `rps=${report.rps}`,
    `median=${ns(l.p50)}i`,
    `p95=${ns(l.p95)}i`,
    `p99=${ns(l.p99)}i`,
    `errors=${report.errors}i`,
    `has_errors=${report.errors > 0}`,
  ];
  return `ghz_run,${tagsOf(report)} ${fields.join(',')} ${BigInt(Date.parse(report.date)) * 1_000_000n}\n`;
}

/** Gauges of the totals and the latency histogram (seconds, cumulative buckets), labelled with the call. */
export function prometheusText(report: LoadReport): string {
  const label = (text: string): string => text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const labels = `call="${label(report.options.call)}",host="${label(report.target)}"${report.name ? `,name="${label(report.name)}"` : ''}`;
  const l = report.latencyMs;
  const seconds = (ms: number): number => ms / 1000;
  const gauges: [string, number][] = [
    ['ghz_run_count', report.count],
    ['ghz_run_total_seconds', seconds(report.elapsedMs)],
    ['ghz_run_average_seconds', seconds(l.mean)],
    ['ghz_run_fastest_seconds', seconds(l.min)],
    ['ghz_run_slowest_seconds', seconds(l.max)],
    ['ghz_run_rps', report.rps],
    ['ghz_run_median_seconds', seconds(l.p50)],
    ['ghz_run_p95_seconds', seconds(l.p95)],
    ['ghz_run_p99_seconds', seconds(l.p99)],
    ['ghz_run_errors', report.errors],
  ];
  const lines = gauges.flatMap(([name, value]) => [`# TYPE ${name} gauge`, `${name}{${labels}} ${value}`]);
  let cumulative = 0;
  lines.push('# TYPE ghz_run_histogram_seconds histogram');
  for (const bucket of report.histogram) {
    cumulative += bucket.count;
    lines.push(`ghz_run_histogram_seconds_bucket{${labels},le="${seconds(bucket.mark)}"} ${cumulative}`);
  }
  lines.push(`ghz_run_histogram_seconds_bucket{${labels},le="+Inf"} ${report.count}`);
  lines.push(`ghz_run_histogram_seconds_sum{${labels}} ${seconds(l.mean * report.count)}`);
  lines.push(`ghz_run_histogram_seconds_count{${labels}} ${report.count}`);
  return `${lines.join('\n')}\n`;
}
