// `load compare` with several runs a side, over real runs against a local server: each side's median and
// spread in the table and the JSON, BASE… vs NEW… on the command line, and the note that one run a side
// cannot tell noise from a change.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../../src/cli.js';
import { memoryIo } from '../helpers/cli.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { startBareServer } from '../load/bare-server.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = memoryIo();
  const code = await main(args, io);
  return { code, ...output };
}

t.test('the table gives each side\'s median and spread; JSON has them per figure', async (t) => {
  const { address } = await startBareServer(t, { SayHello: (_call, callback) => setTimeout(() => callback(null, { message: 'hi', sequence: 1 }), 5) });
  const dir = temporaryDirectory(t, 'load-compare-');
  const files = [0, 1, 2].map((i) => join(dir, `r-${i}.json`));
  for (const file of files) writeFileSync(file, (await cli(['load', address, '--insecure', '-n', '10', '--json'])).stdout);
  const table = await cli(['load', 'compare', files[0] as string, files[1] as string, 'vs', files[2] as string]);
  t.equal(table.code, 0);
  t.match(table.stdout, /2 runs \(median of 2\) +.*\(median of 1\)/);
  t.match(table.stdout, /p99 ms +[\d.]+ ±[\d.]+ /);
  const json = JSON.parse((await cli(['load', 'compare', ...files.slice(0, 2), 'vs', files[2] as string, '--json'])).stdout) as { runs: unknown; figures: { figure: string; baseSpread: number | null }[] };
  t.same(json.runs, { base: 2, new: 1 });
  t.ok(typeof json.figures.find((f) => f.figure === 'p99 ms')?.baseSpread === 'number');
  const misuse = await cli(['load', 'compare', files[0] as string, 'vs']);
  t.equal(misuse.code, 2);
  t.match(misuse.stderr, /at least one report on each side/);
  const single = await cli(['load', 'compare', files[0] as string, files[1] as string, '--fail-on-regression', '5%']);
  t.match(single.stdout, /one run a side: any change beyond the limit counts/);
});
