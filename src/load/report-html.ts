// The report as one self-contained HTML page: no script, no fetch, styles
// inline, charts as SVG drawn here, so it opens offline and can be attached
// to a ticket. Headline numbers, the run's options, the latency histogram, the
// HDR percentile distribution on a "nines" axis (as HdrHistogram's plotter
// draws it), throughput and latency over time, status codes and errors.
import { extremesUs, histogramBuckets, mergeHistograms, type Histogram } from './histogram.js';
import { describeMissingShards, type LoadReport } from './report.js';
import { chart, escapeHtml, roundTicks, type Tick } from './report-svg.js';

const BLUE = '#1a73e8';
const RED = '#d93025';
const GREEN = '#188038';
const HISTOGRAM_BUCKETS = 30;

/** x = log10(1 / (1 - percentile)): 0 is the median's side, 1 is 90 %, 2 is 99 %, 3 is 99.9 %… */
function percentileCurve(histogram: Histogram): [number, number][] {
  if (histogram.totalCount === 0) return [];
  // Past log10(count) nines every percentile is the maximum.
  const most = Math.max(1, Math.ceil(Math.log10(histogram.totalCount)));
  const points: [number, number][] = [];
  for (let nines = 0; nines <= most + 1e-9; nines += 0.02) {
    points.push([nines, histogram.getValueAtPercentile(100 * (1 - 10 ** -nines)) / 1000]);
  }
  points.push([most, extremesUs(histogram).max / 1000]);
  return points;
}

function ninesTicks(histogram: Histogram): Tick[] {
  const most = Math.max(1, Math.ceil(Math.log10(Math.max(1, histogram.totalCount))));
  return Array.from({ length: most + 1 }, (_, nines) => ({ at: nines, label: nines === 0 ? '0%' : `${(100 * (1 - 10 ** -nines)).toFixed(Math.max(0, nines - 2))}%` }));
}

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(String(cell))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function headline(name: string, value: string): string {
  return `<div class="figure"><div class="value">${escapeHtml(value)}</div><div class="name">${escapeHtml(name)}</div></div>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 800px; color: #202124; padding: 0 16px; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 28px; }
.meta { color: #5f6368; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 8px; }
.figure { border: 1px solid #dadce0; border-radius: 6px; padding: 8px 12px; min-width: 90px; }
.figure .value { font-size: 18px; font-weight: 600; } .figure .name { color: #5f6368; font-size: 12px; }
.warning { background: #fce8e6; border-left: 4px solid ${RED}; padding: 8px 12px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #e8eaed; padding: 3px 10px 3px 0; text-align: left; }
figure { margin: 16px 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; border: 1px solid #e8eaed; border-radius: 6px; }
svg .grid { stroke: #e8eaed; } svg .axis { stroke: #5f6368; } svg .tick, svg .legend { font-size: 11px; fill: #5f6368; }
svg .legend { font-weight: 600; } svg .label { font-size: 12px; fill: #202124; }
svg .bar { fill: ${BLUE}; } svg path.series { fill: none; stroke-width: 2; }
`;

export function reportHtml(report: LoadReport): string {
  const histogram = mergeHistograms([report.hdrHistogram]);
  const l = report.latencyMs;
  const first = report.timeSeries[0]?.second ?? 0;
  const overTime = (pick: (p: LoadReport['timeSeries'][number]) => number): [number, number][] =>
    report.timeSeries.map((p) => [p.second - first, pick(p)]);
  // Whole seconds only: the series has one point per second.
  const seconds = roundTicks(0, Math.max(1, report.timeSeries.length - 1)).filter(Number.isInteger).map((at) => ({ at, label: String(at) }));
  const ms = (n: number): string => `${n} ms`;
  const ended = { total: 'total reached', duration: 'duration reached', interrupted: 'interrupted (partial report)' }[report.endReason];
  const shard = report.options.shard;
  const title = `Load test: ${report.shape} on ${report.target}`;
  const partial = describeMissingShards(report);
  const sections = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(`${report.date}; ${ended} after ${(report.elapsedMs / 1000).toFixed(2)} s; latency from ${report.latencyMeasuredFrom}`)}` +
      (shard === null ? '' : escapeHtml(`; shards ${shard.indices.join(', ')} of ${shard.of}`)) + '</p>',
    partial === undefined ? '' : `<p class="warning">${escapeHtml(partial)}</p>`,
    report.generator.saturated
      ? '<p class="warning">The load generator was the bottleneck (a thread busy, or waiting for a CPU, 90 % of the run or more): these figures describe the generator, not the server.</p>'
      : '',
    '<div class="figures">',
    headline('calls', String(report.count)),
    headline('calls/s', String(report.rps)),
    headline('errors', `${report.errors} (${(report.errorRate * 100).toFixed(2)} %)`),
    headline('p50', ms(l.p50)),
    headline('p90', ms(l.p90)),
    headline('p99', ms(l.p99)),
    headline('p99.9', ms(l.p999)),
    headline('max', ms(l.max)),
    '</div>',
    chart({
      title: 'Latency histogram',
      xLabel: 'latency (ms)',
      yLabel: 'calls',
      bars: histogramBuckets(histogram, HISTOGRAM_BUCKETS).map((b, i, all) => ({ from: i === 0 ? l.min : (all[i - 1] as { mark: number }).mark, to: b.mark, value: b.count })),
    }),
    chart({
      title: 'Latency by percentile (HdrHistogram)',
      xLabel: 'percentile',
      yLabel: 'latency (ms)',
      lines: [{ name: 'latency', color: BLUE, points: percentileCurve(histogram) }],
      xTicks: ninesTicks(histogram),
    }),
    chart({
      title: 'Throughput over time',
      xLabel: 'second of the run',
      xTicks: seconds,
      yLabel: 'calls per second',
      lines: [
        { name: 'started', color: GREEN, points: overTime((p) => p.started) },
        { name: 'completed', color: BLUE, points: overTime((p) => p.completed) },
        { name: 'errors', color: RED, points: overTime((p) => Object.values(p.errors).reduce((n, e) => n + e, 0)) },
      ],
    }),
    chart({
      title: 'Latency over time',
      xLabel: 'second of the run',
      xTicks: seconds,
      yLabel: 'latency (ms)',
      lines: [
        { name: 'p50', color: BLUE, points: overTime((p) => p.latencyMs.p50) },
        { name: 'p99', color: RED, points: overTime((p) => p.latencyMs.p99) },
      ],
    }),
    '<h2>Status codes</h2>',
    table(['code', 'calls'], Object.entries(report.statusCodeDistribution)),
    ...(report.errors > 0 ? ['<h2>Errors</h2>', table(['message', 'calls'], Object.entries(report.errorDistribution))] : []),
    ...(report.gates.length > 0
      ? ['<h2>Gates</h2>', table(['gate', 'threshold', 'actual', 'verdict'], report.gates.map((g) => [g.gate, g.threshold, g.actual, g.passed ? 'pass' : 'FAIL']))]
      : []),
    '<h2>Options</h2>',
    table(['option', 'value'], [['target', report.target], ['shape', report.shape], ...Object.entries(report.options).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])]),
    '<h2>Generator</h2>',
    table(['driver', 'CPU per call (µs)', 'cores used', 'threads', 'saturated'], [
      [report.generator.driver, report.generator.cpuUsPerCall, report.generator.coresUsed, report.generator.threads.length, String(report.generator.saturated)],
    ]),
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.filter((s) => s !== '').join('\n')}
</body>
</html>
`;
}
