// The HTML report in a real headless browser (Debian's chromium, over the DevTools protocol): it loads
// from a file with no console error and no network request, and every chart has drawn content.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { chromium, openPage, type Page } from '../helpers/chromium.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { runCommand } from './run-load.js';

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

  const page = await openPage(t, path, join(dir, 'profile'));
  try {
    await checkPage(t, page, file);
  } finally {
    await page.close(); // before the temporary directory with its profile goes
  }
});

async function checkPage(t: Test, page: Page, file: string): Promise<void> {
  const url = pathToFileURL(file).href;
  await page.open(url);
  const charts = await page.evaluate<ChartState[]>(CHARTS);
  t.same(charts.map((c) => c.label), ['Latency histogram', 'Latency by percentile (HdrHistogram)', 'Throughput over time', 'Latency over time']);
  for (const chart of charts) {
    t.ok(chart.width > 300, `${chart.label}: laid out (${chart.width} px wide)`);
    t.ok(chart.drawn > 0, `${chart.label}: ${chart.drawn} drawn shapes`);
  }
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
