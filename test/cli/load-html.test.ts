// The HTML report in a real headless browser (Debian's chromium, over the DevTools protocol): it loads
// from a file with no console error and no network request, every chart has drawn content across the
// window, and the time charts read true: a run shorter than a second and a step ramp, checked on the points
// the page draws (each path's data-points, in seconds and calls per second).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { chromium, openPage, type Page } from '../helpers/chromium.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { reportHtml } from '../../src/load/report-html.js';
import type { LoadReport } from '../../src/load/report.js';
import { runCommand, runJson } from './run-load.js';

const browser = chromium();

interface ChartState {
  readonly label: string;
  readonly width: number;
  /** Lines with a length, bars and points with an area. */
  readonly drawn: number;
}

const CHARTS = `[...document.querySelectorAll('svg.chart')].map((svg) => ({
  label: svg.getAttribute('aria-label'),
  width: svg.getBoundingClientRect().width,
  drawn: [...svg.querySelectorAll('path.series, rect.bar, circle.series')].filter((shape) => {
    if (shape instanceof SVGPathElement) return shape.getTotalLength() > 0;
    const box = shape.getBBox();
    return box.width > 0 && box.height > 0;
  }).length,
}))`;

t.test('the HTML report opens offline in chromium: no console error, no request, every chart drawn', { skip: 'skip' in browser ? browser.skip : false }, async (t) => {
  const { path } = browser as { path: string };
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-html-');
  const file = join(dir, 'report.html');
  const run = await runCommand([address, '--insecure', '--duration', '1500ms', '-c', '4', '--connections', '2', '--format', 'html', '-o', file]);
  t.equal(run.code, 0, run.stderr);
  t.notMatch(readFileSync(file, 'utf8'), /<script|https?:\/\//, 'no script and no URL in the page');

  await withPage(t, path, dir, (page) => checkPage(t, page, file));
});

async function withPage(t: Test, path: string, dir: string, check: (page: Page) => Promise<void>): Promise<void> {
  const page = await openPage(t, path, join(dir, 'profile'));
  try {
    await check(page);
  } finally {
    await page.close(); // before the temporary directory with its profile goes
  }
}

async function checkPage(t: Test, page: Page, file: string): Promise<void> {
  const url = pathToFileURL(file).href;
  await page.open(url);
  const charts = await page.evaluate<ChartState[]>(CHARTS);
  t.same(charts.map((c) => c.label), ['Latency histogram', 'Latency by percentile (HdrHistogram)', 'Throughput over time', 'Latency over time']);
  for (const chart of charts) {
    t.ok(chart.width > 300, `${chart.label}: laid out (${chart.width} px wide)`);
    t.ok(chart.drawn > 0, `${chart.label}: ${chart.drawn} drawn shapes`);
  }
  const used = await page.evaluate<{ used: number; window: number }>(`(() => {
    const boxes = [...document.querySelectorAll('svg.chart')].map((svg) => svg.getBoundingClientRect());
    return { used: Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left)), window: window.innerWidth };
  })()`);
  t.ok(used.used >= 0.9 * used.window, `the charts use the window's width (${Math.round(used.used)} of ${used.window} px)`);
  const text = await page.evaluate<string>('document.body.innerText');
  t.match(text, /Status codes[\s\S]*OK/);
  t.match(text, /p99/);
  t.same(page.problems, [], 'no console error, warning or exception');
  t.same(page.requests.filter((requested) => requested !== url), [], 'no request but the page itself');

  const png = await page.screenshot();
  const shot = join(dirname(file), 'report.png');
  writeFileSync(shot, png);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  t.ok(png.length > 20_000, `a screenshot of the whole page (${png.length} bytes) in ${shot}`);
}

/** A series the page draws: its name, stroke width, length on screen, and its points in data units. */
interface DrawnSeries {
  readonly chart: string;
  readonly name: string;
  readonly strokeWidth: number;
  readonly length: number;
  readonly points: [number, number][];
}

const SERIES = `[...document.querySelectorAll('svg.chart path.series')].map((path) => ({
  chart: path.closest('svg').getAttribute('aria-label'),
  name: path.dataset.series,
  strokeWidth: parseFloat(getComputedStyle(path).strokeWidth),
  length: path.getTotalLength(),
  points: path.dataset.points.split(' ').map((point) => point.split(',').map(Number)),
}))`;

/** The flat steps of a series drawn as steps: [from, to, value] each, checked to be flat and to follow on. */
function stepsOf(t: Test, series: DrawnSeries): [number, number, number][] {
  const steps: [number, number, number][] = [];
  for (let i = 0; i < series.points.length; i += 2) {
    const [from, value] = series.points[i] as [number, number];
    const [to, end] = series.points[i + 1] as [number, number];
    steps.push([from, to, value]);
    if (end !== value || !(to > from)) t.fail(`${series.name}: step ${i / 2} is not flat and forward: ${JSON.stringify(series.points.slice(i, i + 2))}`);
  }
  steps.slice(1).forEach(([from], i) => {
    if (Math.abs(from - (steps[i] as [number, number, number])[1]) > 1e-3) t.fail(`${series.name}: step ${i + 1} does not start where step ${i} ends`);
  });
  return steps;
}

/** Runs `args` with --json, writes the report as HTML and reads what the page's throughput chart draws. */
async function drawnThroughput(t: Test, args: readonly string[]): Promise<{ report: LoadReport; series: Map<string, DrawnSeries>; text: string }> {
  const { path } = browser as { path: string };
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { code, report, stderr } = await runJson(address, args);
  t.equal(code, 0, stderr);
  const dir = temporaryDirectory(t, 'load-html-');
  const file = join(dir, 'report.html');
  writeFileSync(file, reportHtml(report));
  let drawn: DrawnSeries[] = [];
  let text = '';
  await withPage(t, path, dir, async (page) => {
    await page.open(pathToFileURL(file).href);
    drawn = await page.evaluate<DrawnSeries[]>(SERIES);
    text = await page.evaluate<string>('document.body.innerText');
    writeFileSync(join(dir, 'report.png'), await page.screenshot());
    t.same(page.problems, [], 'no console error, warning or exception');
  });
  const series = new Map(drawn.filter((s) => s.chart === 'Throughput over time').map((s) => [s.name, s]));
  for (const s of series.values()) t.ok(s.length > 0, `${s.name}: drawn (${Math.round(s.length)} px long)`);
  return { report, series, text };
}

t.test('a run of 0.6 s draws its calls as a rate over the time it ran: no fall at either end, started and completed both seen', { skip: 'skip' in browser ? browser.skip : false }, async (t) => {
  const { report, series } = await drawnThroughput(t, ['--duration', '600ms', '-c', '4']);
  t.ok(report.timeSeries.length >= 1 && report.count > 0, `${report.count} calls over ${report.timeSeries.length} wall-clock second(s)`);
  const completed = stepsOf(t, series.get('completed') as DrawnSeries);
  const runS = report.elapsedMs / 1000;
  t.equal((completed[0] as [number, number, number])[0], 0, 'from the start of the run');
  t.ok(Math.abs((completed.at(-1) as [number, number, number])[1] - runS) < 0.01, `to its end (${completed.at(-1)?.[1]} s; the run: ${runS} s)`);
  const calls = completed.reduce((n, [from, to, rate]) => n + rate * (to - from), 0);
  t.ok(Math.abs(calls - report.count) <= Math.max(2, report.count * 0.01), `rate × time is every call (${Math.round(calls)} of ${report.count})`);
  for (const [from, to, rate] of completed) {
    t.ok(rate >= report.rps / 3, `${from}–${to} s: ${Math.round(rate)} calls/s, not a fall from the run's ${report.rps}`);
  }
  const started = series.get('started') as DrawnSeries;
  const line = series.get('completed') as DrawnSeries;
  t.ok(started.strokeWidth >= 3 * line.strokeWidth, `started (${started.strokeWidth} px) is a band wider than completed (${line.strokeWidth} px) drawn over it`);
  t.notOk(series.has('asked'), 'no asked rate in a closed loop');
});

t.test('a step ramp is drawn as steps beside the rate asked for, with no fall at its end', { skip: 'skip' in browser ? browser.skip : false }, async (t) => {
  const { report, series } = await drawnThroughput(t, [
    '--load-schedule', 'step', '--load-start', '100', '--load-step', '100', '--load-step-duration', '1s', '--load-end', '300', '--duration', '3500ms', '-c', '8',
  ]);
  const asked = stepsOf(t, series.get('asked') as DrawnSeries);
  const runS = report.elapsedMs / 1000;
  t.same(asked.map(([from, to, rate], i) => [from, i === asked.length - 1 ? 'end' : to, rate]), [[0, 1, 100], [1, 2, 200], [2, 'end', 300]], 'asked: 100, 200, then 300 calls/s to the end, step by step');
  t.ok(Math.abs((asked.at(-1) as [number, number, number])[1] - runS) < 0.01, `asked to the end of the run (${runS} s)`);
  const askedAt = (s: number): number => (asked.find(([from, to]) => s >= from && s < to) ?? (asked.at(-1) as [number, number, number]))[2];
  for (const name of ['started', 'completed']) {
    const achieved = stepsOf(t, series.get(name) as DrawnSeries);
    // A wall-clock second straddles two of the ramp's steps: its rate lies between theirs.
    for (const [from, to, rate] of achieved) {
      const low = Math.min(askedAt(from), askedAt(to - 1e-3));
      const high = Math.max(askedAt(from), askedAt(to - 1e-3));
      t.ok(rate >= 0.8 * low && rate <= 1.2 * high, `${name} ${from}–${to} s: ${Math.round(rate)} calls/s, asked ${low}–${high}`);
    }
    const last = achieved.at(-1) as [number, number, number];
    t.ok(last[2] >= 0.8 * 300, `${name}: the last ${(last[1] - last[0]).toFixed(2)} s at ${Math.round(last[2])} calls/s: no fall at the end`);
    t.ok(new Set(achieved.map(([, , rate]) => Math.round(rate / 50))).size >= 3, `${name}: at least three levels, a step each`);
  }
});

t.test('an open loop shows its asked and achieved rate, shortfall and start lag', { skip: 'skip' in browser ? browser.skip : false }, async (t) => {
  const { report, series, text } = await drawnThroughput(t, ['--rps', '200', '--duration', '1s', '-c', '4']);
  const rate = report.rate as NonNullable<LoadReport['rate']>;
  t.match(text, new RegExp(`${rate.askedRps}\\s*asked calls/s`));
  t.match(text, new RegExp(`${rate.achievedRps}\\s*achieved calls/s`));
  t.match(text, new RegExp(`${(rate.shortfall * 100).toFixed(2)} %\\s*shortfall`));
  t.match(text, new RegExp(`${rate.maxStartLagMs} ms\\s*latest start after due`));
  t.same(stepsOf(t, series.get('asked') as DrawnSeries).map(([, , r]) => r), [200], 'the asked rate drawn flat');
});
