// The load report's time series, formats and files, and `load merge` / `load compare`, over real
// sockets against the real server on 127.0.0.1:0.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { JsHistogram } from 'hdr-histogram-js';
import t, { type Test } from 'tap';
import { main } from '../../src/cli.js';
import { mergeHistograms, type Histogram } from '../../src/load/histogram.js';
import type { LoadReport } from '../../src/load/report.js';
import { memoryIo, spawnCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { runCommand, runJson } from './run-load.js';

const sum = (values: readonly number[]): number => values.reduce((n, v) => n + v, 0);
const histogramCount = (encoded: string): number => mergeHistograms([encoded]).totalCount;

/** `cloudrun-grpc args…` in this process. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = memoryIo();
  const code = await main(args, io);
  return { code, ...output };
}

/** Every recorded value of a histogram with its count: its buckets, exactly. */
function buckets(histogram: Histogram): [number, number][] {
  const values = (histogram as JsHistogram).recordedValuesIterator;
  values.reset();
  const found: [number, number][] = [];
  while (values.hasNext()) {
    const value = values.next();
    found.push([value.valueIteratedTo, value.countAtValueIteratedTo]);
  }
  return found;
}

const readJson = (file: string): LoadReport => JSON.parse(readFileSync(file, 'utf8')) as LoadReport;

/** The time series adds up to the report's totals: calls, errors by code, histogram counts. */
function checkSeriesAddsUp(t: Test, report: LoadReport): void {
  const series = report.timeSeries;
  t.ok(series.length >= 1, `${series.length} seconds`);
  t.equal(sum(series.map((p) => p.started)), report.count, 'calls started, second by second, add up to the count');
  t.equal(sum(series.map((p) => p.completed)), report.count, 'calls completed add up to the count');
  t.equal(sum(series.map((p) => histogramCount(p.hdrHistogram))), report.count, "each second's histogram holds its completed calls");
  t.ok(series.every((p) => histogramCount(p.hdrHistogram) === p.completed));
  const errors: Record<string, number> = {};
  for (const p of series) for (const [code, n] of Object.entries(p.errors)) errors[code] = (errors[code] ?? 0) + n;
  const { OK: _ok, ...expected } = report.statusCodeDistribution;
  t.same(errors, expected, 'errors by code add up to the status codes other than OK');
  t.ok(series.every((p, i) => i === 0 || p.second === (series[i - 1] as { second: number }).second + 1), 'one point per wall-clock second, no gaps');
  t.equal(histogramCount(report.hdrHistogram), report.count);
}

t.test("a report's time series sums to its totals, with and without errors", async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const ok = await runJson(address, ['--duration', '1500ms', '-c', '4', '--connections', '2', '--workers', '2']);
  t.ok(ok.report.timeSeries.length >= 2, 'a run of 1.5 s spans at least two wall-clock seconds');
  checkSeriesAddsUp(t, ok.report);
  t.ok(ok.report.timeSeries.every((p) => p.latencyMs.max >= p.latencyMs.p99 && p.latencyMs.p99 >= p.latencyMs.p50));
  // The server refuses replies above 1 MiB with INVALID_ARGUMENT.
  const failed = await runJson(address, ['--total', '40', '--payload-bytes', '2000000']);
  t.same(failed.report.statusCodeDistribution, { INVALID_ARGUMENT: 40 });
  checkSeriesAddsUp(t, failed.report);
});

t.test('--format csv is one row per second that a CSV parser reads back as the JSON says', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-csv-');
  const csvFile = join(dir, 'report.csv');
  const jsonFile = join(dir, 'report.json');
  const { code } = await runCommand([address, '--insecure', '--duration', '1200ms', '-c', '2', '--format', 'csv', '-o', csvFile]);
  t.equal(code, 0);
  const rows = parse(readFileSync(csvFile, 'utf8'), { columns: true }) as Record<string, string>[];
  t.ok(rows.length >= 2);
  t.same(Object.keys(rows[0] as object), ['second', 'time', 'started', 'completed', 'errors', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms']);
  // The same run's JSON from the same figures: a report written as JSON, then merged (one report) as CSV.
  await runCommand([address, '--insecure', '--total', '30', '--payload-bytes', '2000000', '-c', '2', '--json', '-o', jsonFile]);
  const report = readJson(jsonFile);
  const merged = await cli(['load', 'merge', jsonFile, '--format', 'csv']);
  const records = parse(merged.stdout, { columns: true, cast: true }) as Record<string, number | string>[];
  t.equal(records.length, report.timeSeries.length);
  report.timeSeries.forEach((p, i) => {
    const row = records[i] as Record<string, number | string>;
    t.match(row, {
      second: p.second, time: new Date(p.second * 1000).toISOString(), started: p.started, completed: p.completed,
      errors: sum(Object.values(p.errors)), p50_ms: p.latencyMs.p50, p90_ms: p.latencyMs.p90, p99_ms: p.latencyMs.p99, max_ms: p.latencyMs.max,
      errors_INVALID_ARGUMENT: p.errors.INVALID_ARGUMENT ?? 0,
    });
  });
});

t.test('--csv-calls lists every call, from every worker thread, in the order they started', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const ok = await runCommand([address, '--insecure', '-n', '300', '-c', '4', '--connections', '2', '--workers', '2', '--csv-calls']);
  t.equal(ok.code, 0, ok.stderr);
  const rows = parse(ok.stdout, { columns: true, cast: true }) as { timestamp: string; 'duration (ms)': number; status: string; error: string }[];
  t.equal(rows.length, 300, 'one row per call');
  t.ok(rows.every((r) => r.status === 'OK' && r.error === '' && r['duration (ms)'] > 0));
  const starts = rows.map((r) => Date.parse(r.timestamp));
  t.same(starts, [...starts].sort((a, b) => a - b), 'in the order they started');
  const failed = await runCommand([address, '--insecure', '-n', '3', '--payload-bytes', '2000000', '--csv-calls', '--format', 'csv']);
  const errors = parse(failed.stdout, { columns: true }) as { status: string; error: string }[];
  t.same(errors.map((r) => [r.status, r.error]), Array(3).fill(['INVALID_ARGUMENT', 'response_size is 2000000; the maximum is 1048576']));
  await t.rejects(runCommand([address, '--insecure', '-n', '3', '--csv-calls', '--json']), /--csv-calls lists calls as CSV; it cannot go with --format json/);
});

t.test('the report goes to -o FILE in the --format asked for; bad output flags are usage errors', async (t) => {
  const dir = temporaryDirectory(t, 'load-output-');
  await t.rejects(runCommand(['127.0.0.1:1', '-n', '1', '--json', '--format', 'csv']), /--json is --format json; it cannot go with --format csv/);
  await t.rejects(runCommand(['127.0.0.1:1', '-n', '1', '--format', 'xml']), /--format: "xml" is not one of summary, json, pretty, csv, html, influx-summary, prometheus/);
  await t.rejects(runCommand(['127.0.0.1:1', '-n', '1', '-o', join(dir, 'missing', 'r.json')]), /--output: cannot write in the directory/);
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const file = join(dir, 'r.txt');
  const run = await runCommand([address, '--insecure', '-n', '5', '-o', file]);
  t.equal(run.stdout, '', 'nothing on stdout');
  t.match(readFileSync(file, 'utf8'), /Calls: +5,[\s\S]*Per second/);
});

t.test('N processes each running --shard i/N merge into exactly the calls, codes and histogram count of one run of the plan', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const dir = temporaryDirectory(t, 'load-shards-');
  const plan = ['--insecure', '-n', '601', '-c', '6', '--connections', '3', '--shape', 'server', '--replies', '3'];
  const files = [0, 1, 2].map((i) => join(dir, `shard-${i}.json`));
  const shards = files.map((file, i) => spawnCli(t, ['load', address, ...plan, '--shard', `${i}/3`, '--json', '-o', file]));
  t.same(await Promise.all(shards.map((s) => s.exited(60_000))), [0, 0, 0]);
  const reports = files.map(readJson);
  t.same(reports.map((r) => r.count), [201, 200, 200], 'the total is divided exactly (thread i of 3: ceil((601 - i) / 3))');
  t.same(reports.map((r) => r.options.shard), [0, 1, 2].map((i) => ({ indices: [i], of: 3 })));
  t.same(reports.map((r) => r.options.total), [601, 601, 601], 'each report names the whole plan');

  const merged = await cli(['load', 'merge', ...files, '--json']);
  t.equal(merged.code, 0, merged.stderr);
  const all = JSON.parse(merged.stdout) as LoadReport;
  const one = (await runJson(address, plan.slice(1))).report;
  for (const key of ['count', 'errors', 'messagesSent', 'messagesReceived', 'statusCodeDistribution', 'errorDistribution', 'endReason'] as const) {
    t.same(all[key], one[key], `${key} equals one run's`);
  }
  t.same(all.options, { ...one.options, shard: { indices: [0, 1, 2], of: 3 } }, 'the same plan; the merged report covers every shard');
  t.equal(histogramCount(all.hdrHistogram), histogramCount(one.hdrHistogram), 'histogram counts equal one run’s');
  t.equal(logs.filter((l) => l.method === '/helloworld.Greeter/LotsOfReplies').length, 2 * 601, 'the server saw the plan twice, no more');
  checkSeriesAddsUp(t, all);
  for (const p of all.timeSeries) {
    const same = reports.flatMap((r) => r.timeSeries.filter((q) => q.second === p.second));
    t.equal(p.completed, sum(same.map((q) => q.completed)), `second ${p.second}: the shards' completed calls add up`);
  }
  // Latencies differ between runs, so the exact merge of buckets is shown on the same three reports,
  // merged two ways: all at once, and two of them first. Every figure, every bucket, every second is equal.
  const firstTwo = join(dir, 'first-two.json');
  t.equal((await cli(['load', 'merge', files[0] as string, files[1] as string, '--allow-partial', '--json', '-o', firstTwo])).code, 0);
  const twoWays = JSON.parse((await cli(['load', 'merge', files[2] as string, firstTwo, '--json'])).stdout) as LoadReport;
  t.same(twoWays, all, 'merging in steps, in another order, gives the same report, byte for byte in its histograms');
  t.same(buckets(mergeHistograms([all.hdrHistogram])), buckets(mergeHistograms(reports.map((r) => r.hdrHistogram))), "the merged histogram's buckets are the shards' added");
});

t.test('merge refuses reports of different plans, naming the option, and a shard given twice', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-mismatch-');
  const [a, b] = [join(dir, 'a.json'), join(dir, 'b.json')];
  await runCommand([address, '--insecure', '-n', '10', '-c', '2', '--connections', '2', '--shard', '0/2', '--json', '-o', a]);
  await runCommand([address, '--insecure', '-n', '10', '-c', '4', '--connections', '2', '--shard', '1/2', '--json', '-o', b]);
  const different = await cli(['load', 'merge', a, b]);
  t.equal(different.code, 2);
  t.match(different.stderr, /a\.json and .*b\.json are reports of different plans: --concurrency is 2 in one and 4 in the other/);
  const twice = await cli(['load', 'merge', a, a]);
  t.equal(twice.code, 2);
  t.match(twice.stderr, /shard 0\/2 is in both .*a\.json and .*a\.json/);
  writeFileSync(join(dir, 'not.json'), '{"hello": 1}');
  t.match((await cli(['load', 'merge', a, join(dir, 'not.json')])).stderr, /not\.json is not a JSON load report of this version/);
});

t.test('compare gates on a seeded regression and passes on equal reports', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-compare-');
  const [base, slow] = [join(dir, 'base.json'), join(dir, 'slow.json')];
  const plan = [address, '--insecure', '--shape', 'server', '--replies', '2', '-n', '40', '-c', '4', '--connections', '2', '--json'];
  await runCommand([...plan, '-o', base]);
  // The seeded regression: the server waits 40 ms between its two replies.
  await runCommand([...plan, '--interval-ms', '40', '-o', slow]);
  const regressed = await cli(['load', 'compare', base, slow, '--fail-on-regression', '10%']);
  t.equal(regressed.code, 1, regressed.stdout);
  t.match(regressed.stdout, /REGRESSION:\n {2}p99 .* ms → .* ms, more than 10 % slower/);
  t.match(regressed.stdout, /The plans differ:\n {2}--interval-ms is 0 in one and 40 in the other/);
  t.match(regressed.stdout, /^ {2}p99 ms +[\d.]+ +[\d.]+ +[\d.]+$/m);
  const same = await cli(['load', 'compare', base, base, '--fail-on-regression', '1%']);
  t.equal(same.code, 0);
  t.match(same.stdout, /No regression beyond 1 % on p99 or throughput/);
  const json = JSON.parse((await cli(['load', 'compare', base, slow, '--json'])).stdout) as { figures: { figure: string; ratio: number }[]; regressions: string[] };
  t.ok((json.figures.find((f) => f.figure === 'p99 ms')?.ratio ?? 0) > 1.1, 'the p99 ratio shows the regression');
  t.same(json.regressions, [], 'no limit, no verdict');
});
