// `load merge` and --shard over real runs: an incomplete plan is refused unless --allow-partial (then every
// format names the missing shards), a shard that could not connect is named with its error, a report read
// out of `kubectl logs` (stderr around it) merges, and --shard I/N works with the plan's defaults.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import t from 'tap';
import { main } from '../../src/cli.js';
import type { LoadReport } from '../../src/load/report.js';
import { closedPort, memoryIo } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = memoryIo();
  const code = await main(args, io);
  return { code, ...output };
}

t.test('a plan with a shard missing is refused, naming it; --allow-partial merges and every format says so', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-merge-');
  const shard0 = join(dir, 'shard-0.json');
  t.equal((await cli(['load', address, '--insecure', '-n', '20', '--shard', '0/2', '--json', '-o', shard0])).code, 0);

  const refused = await cli(['load', 'merge', shard0]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /the plan has 2 shards and shard 1 is missing: give every shard's report, or --allow-partial/);

  const summary = await cli(['load', 'merge', shard0, '--allow-partial']);
  t.equal(summary.code, 0);
  t.match(summary.stdout, /^PARTIAL: shard 1 of 2 missing: the figures cover only the other shards/);
  const json = JSON.parse((await cli(['load', 'merge', shard0, '--allow-partial', '--json'])).stdout) as LoadReport;
  t.same(json.missingShards, [{ index: 1, error: null }]);
  t.equal(json.count, 10);
  const csv = parse((await cli(['load', 'merge', shard0, '--allow-partial', '-O', 'csv'])).stdout, { columns: true }) as Record<string, string>[];
  t.ok(csv.length > 0 && csv.every((row) => row.missing_shards === '1'), 'every CSV row names the missing shard');
  const html = await cli(['load', 'merge', shard0, '--allow-partial', '-O', 'html']);
  t.match(html.stdout, /<p class="warning">PARTIAL: shard 1 of 2 missing/);
});

t.test('a shard that could not connect writes a JSON report saying so; merge names the shard and its error', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-merge-');
  const [shard0, shard1] = [join(dir, 'shard-0.json'), join(dir, 'shard-1.json')];
  t.equal((await cli(['load', address, '--insecure', '-n', '20', '--shard', '0/2', '--json', '-o', shard0])).code, 0);
  const port = await closedPort();
  const lost = await cli(['load', `127.0.0.1:${port}`, '--insecure', '-n', '20', '--shard', '1/2', '--json', '-o', shard1]);
  t.equal(lost.code, 1);
  const written = JSON.parse(readFileSync(shard1, 'utf8')) as { error: { message: string; code: string }; options: LoadReport['options'] };
  t.match(written.error, { code: 'ECONNREFUSED' });
  t.same(written.options.shard, { indices: [1], of: 2 }, 'the failed report says which shard it was');

  const refused = await cli(['load', 'merge', shard0, shard1]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /shard-1\.json \(shard 1\/2\) could not run: .*ECONNREFUSED.*--allow-partial merges the others/);
  const partial = JSON.parse((await cli(['load', 'merge', shard0, shard1, '--allow-partial', '--json'])).stdout) as LoadReport;
  t.match(partial.missingShards, [{ index: 1, error: /ECONNREFUSED/ }]);
});

t.test('a report with a pod\'s stderr around it (kubectl logs) merges', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const dir = temporaryDirectory(t, 'load-merge-');
  const files = [0, 1].map((i) => join(dir, `pod-${i}.json`));
  for (const [i, file] of files.entries()) {
    const run = await cli(['load', address, '--insecure', '-n', '10', '--shard', `${i}/2`, '--json']);
    writeFileSync(file, `cloudrun-grpc load: warning: something on stderr\n${run.stdout}hint: another line\n`);
  }
  const merged = await cli(['load', 'merge', ...files, '--json']);
  t.equal(merged.code, 0, merged.stderr);
  t.equal((JSON.parse(merged.stdout) as LoadReport).count, 10);
});

t.test('--shard I/N runs with the plan\'s defaults (one connection, one call in flight) for every shard', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const dir = temporaryDirectory(t, 'load-merge-');
  const files = [0, 1, 2].map((i) => join(dir, `shard-${i}.json`));
  for (const [i, file] of files.entries()) {
    const run = await cli(['load', address, '--insecure', '-n', '30', '--shard', `${i}/3`, '--json', '-o', file]);
    t.equal(run.code, 0, run.stderr);
  }
  const shards = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as LoadReport);
  t.same(shards.map((r) => [r.count, r.endReason]), [[10, 'total'], [10, 'total'], [10, 'total']], 'each shard ran its share of --total');
  const merged = JSON.parse((await cli(['load', 'merge', ...files, '--json'])).stdout) as LoadReport;
  t.equal(merged.count, 30);
  t.same(merged.missingShards, []);
  t.equal(logs.filter((l) => l.method === '/helloworld.Greeter/SayHello').length, 30);
});
