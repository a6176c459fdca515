// The report as one self-contained HTML page: no script, no fetch, styles
// inline, charts as SVG drawn here, so it opens offline and can be attached
// to a ticket. Headline numbers, the run's options, the latency histogram, the
// HDR percentile distribution on a "nines" axis (as HdrHistogram's plotter
// draws it), throughput and latency over time, status codes and errors.
import { extremesUs, histogramBuckets, mergeHistograms, summarizeLatency, type Histogram, type LatencySummaryMs } from './histogram.js';
import { describeMissingShards, describeRamp, type LoadReport, type TimeSeriesPoint } from './report.js';
import { chart, escapeHtml, type Tick } from './report-svg.js';
import { rampValue, type Ramp } from './schedule.js';

const BLUE = '#1a73e8';
const RED = '#d93025';
const GREEN = '#188038';
const GREY = '#5f6368';
const HISTOGRAM_BUCKETS = 30;
/** A first or last second the run covered less of than this is drawn together with its neighbour: a rate over a few ms is noise. */
const SHORTEST_SPAN_S = 0.25;
/** Steps of an asked rate drawn at most (a line schedule steps every second). */
const MOST_STEPS = 10_000;

/** A stretch of the run the time charts draw as one flat step: a second of it, or part of one at either end. */
interface Span {
  /** Seconds from the start of the run. */
  readonly from: number;
  readonly to: number;
  readonly started: number;
  readonly completed: number;
  readonly errors: number;
  readonly latencyMs: LatencySummaryMs;
}

/**
 * The run's seconds as spans over the time each covers: the run starts and ends within its first and last
 * seconds, so their calls are a rate over the part they had, not over a whole second (which would draw a
 * fall at each end of a steady run).
 */
function spansOf(series: readonly TimeSeriesPoint[]): Span[] {
  const length = (points: readonly TimeSeriesPoint[]): number => points.reduce((s, p) => s + p.coveredMs / 1000, 0);
  const groups = series.map((p) => [p]);
  if (groups.length > 1 && length(groups[0]!) < SHORTEST_SPAN_S) groups.splice(0, 2, [...groups[0]!, ...groups[1]!]);
  if (groups.length > 1 && length(groups.at(-1)!) < SHORTEST_SPAN_S) groups.splice(-2, 2, [...groups.at(-2)!, ...groups.at(-1)!]);
  const sum = (points: readonly TimeSeriesPoint[], pick: (p: TimeSeriesPoint) => number): number => points.reduce((n, p) => n + pick(p), 0);
  let from = 0;
  return groups.map((points) => {
    const span = {
      from,
      to: from + length(points),
      started: sum(points, (p) => p.started),
      completed: sum(points, (p) => p.completed),
      errors: sum(points, (p) => Object.values(p.errors).reduce((n, e) => n + e, 0)),
      latencyMs: summarizeLatency(mergeHistograms(points.map((p) => p.hdrHistogram))),
    };
    from = span.to;
    return span;
  });
}

/** A value per span, drawn flat across it: the chart shows steps, and a step of the run as a step. */
function steps(spans: readonly Span[], value: (span: Span) => number): [number, number][] {
  return spans.flatMap((span): [number, number][] => [[span.from, value(span)], [span.to, value(span)]]);
}

/** The rate asked for from 0 to `end` seconds: --rps flat, or a --load-schedule ramp in its steps. */
function askedRate(ramp: Ramp | null, rps: number | null, end: number, share: number): [number, number][] {
  if (ramp === null) return rps === null ? [] : [[0, rps * share], [end, rps * share]];
  const points: [number, number][] = [];
  for (let step = 0; step * ramp.stepMs < end * 1000 && step < MOST_STEPS; step++) {
    const rate = rampValue(ramp, step * ramp.stepMs) * share;
    const to = Math.min(end, ((step + 1) * ramp.stepMs) / 1000);
    // Once the ramp holds, its last step goes on.
    if (points.at(-1)?.[1] === rate) (points.at(-1) as [number, number])[0] = to;
    else points.push([(step * ramp.stepMs) / 1000, rate], [to, rate]);
  }
  return points;
}

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

/** The open loop's figures, as the text report gives them: the rate asked for and achieved, its shortfall, the start lag. */
function openLoop(report: LoadReport): string[] {
  const { rate } = report;
  const { loadSchedule, concurrencySchedule } = report.options;
  const schedules = [
    ...(loadSchedule === null ? [] : [`rate: ${describeRamp(loadSchedule, 'calls/s')}`]),
    ...(concurrencySchedule === null ? [] : [`calls in flight: ${describeRamp(concurrencySchedule, 'in flight')}`]),
  ];
  return [
    ...(schedules.length === 0 ? [] : [`<p class="meta">${escapeHtml(`Schedule: ${schedules.join('; ')}`)}</p>`]),
    ...(rate === null
      ? []
      : [
          '<h2>Open loop</h2>',
          '<div class="figures">',
          headline('asked calls/s', String(rate.askedRps)),
          headline('achieved calls/s', String(rate.achievedRps)),
          headline('shortfall', `${(rate.shortfall * 100).toFixed(2)} %`),
          headline('latest start after due', `${rate.maxStartLagMs} ms`),
          '</div>',
        ]),
  ];
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
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #202124; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 28px; }
.meta { color: #5f6368; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 8px; }
.figure { border: 1px solid #dadce0; border-radius: 6px; padding: 8px 12px; min-width: 90px; }
.figure .value { font-size: 18px; font-weight: 600; } .figure .name { color: #5f6368; font-size: 12px; }
.warning { background: #fce8e6; border-left: 4px solid ${RED}; padding: 8px 12px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #e8eaed; padding: 3px 10px 3px 0; text-align: left; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 560px), 1fr)); gap: 0 24px; }
figure { margin: 16px 0; } .note { color: #5f6368; font-size: 12px; margin: 4px 0 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; border: 1px solid #e8eaed; border-radius: 6px; }
svg .grid { stroke: #e8eaed; } svg .axis { stroke: #5f6368; } svg .tick, svg .legend { font-size: 11px; fill: #5f6368; }
svg .legend { font-weight: 600; } svg .label { font-size: 12px; fill: #202124; }
svg .bar { fill: ${BLUE}; } svg path.series { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg path.band { stroke-width: 8; stroke-opacity: 0.35; } svg path.dashed { stroke-dasharray: 6 4; }
`;

export function reportHtml(report: LoadReport): string {
  const histogram = mergeHistograms([report.hdrHistogram]);
  const l = report.latencyMs;
  const spans = spansOf(report.timeSeries);
  const per = (count: (span: Span) => number): [number, number][] => steps(spans, (span) => (span.to > span.from ? count(span) / (span.to - span.from) : 0));
  const { shard, loadSchedule } = report.options;
  // A shard is asked for its share of the plan's rate.
  const asked = askedRate(loadSchedule, report.options.rps, spans.at(-1)?.to ?? 0, shard === null ? 1 : shard.indices.length / shard.of);
  const ms = (n: number): string => `${n} ms`;
  const ended = { total: 'total reached', duration: 'duration reached', interrupted: 'interrupted (partial report)' }[report.endReason];
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
    ...openLoop(report),
    '<div class="charts">',
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
      xLabel: 'seconds into the run',
      yLabel: 'calls per second',
      lines: [
        // Started is a pale band under completed: in a steady run the two are one line, and both show.
        { name: 'started', color: GREEN, kind: 'band', points: per((span) => span.started) },
        { name: 'completed', color: BLUE, points: per((span) => span.completed) },
        { name: 'errors', color: RED, points: per((span) => span.errors) },
        // Dashed over the others: where the run kept to it, the line under it shows through.
        ...(asked.length > 0 ? [{ name: 'asked', color: GREY, kind: 'dashed' as const, points: asked }] : []),
      ],
      ...(loadSchedule !== null && {
        note: "Each achieved step is a wall-clock second (so that machines' reports line up): one that straddles two of the schedule's steps shows a rate between them.",
      }),
    }),
    chart({
      title: 'Latency over time',
      xLabel: 'seconds into the run',
      yLabel: 'latency (ms)',
      lines: [
        { name: 'p50', color: BLUE, points: steps(spans, (span) => span.latencyMs.p50) },
        { name: 'p99', color: RED, points: steps(spans, (span) => span.latencyMs.p99) },
      ],
    }),
    '</div>',
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
