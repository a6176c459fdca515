import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT } from './helpers/process.js';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

t.test('the generated types in src/generated are what `npm run gen:types` makes from proto/ now', async (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'gen-types-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const script = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['gen:types'] as string;
  const args = script.split(' ').slice(1).map((a) => (a === '--outDir=src/generated' ? `--outDir=${out}` : a));
  t.ok(args.includes(`--outDir=${out}`), 'the script writes to --outDir=src/generated');
  execFileSync(path.join(ROOT, 'node_modules/.bin/proto-loader-gen-types'), args, { cwd: ROOT, stdio: 'pipe' });
  const generated = path.join(ROOT, 'src/generated');
  t.same(files(generated), files(out), 'the same files');
  for (const file of files(out)) {
    t.equal(readFileSync(path.join(generated, file), 'utf8'), readFileSync(path.join(out, file), 'utf8'), file);
  }
});
