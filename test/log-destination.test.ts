// The stdout writer: lines batched into whole-line writes, and nothing lost when the process ends.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BatchedLines, PIPE_BUF, SOLE_WRITER_BATCH } from '../src/log-destination.js';
import { spawnEntry } from './helpers/process.js';
import { eventually } from './helpers/server.js';

/** A BatchedLines writing to a fresh file (in a directory tap removes afterwards), and what that file holds now. */
function batchedToFile(t: Test, batchBytes?: number): { lines: BatchedLines; written: () => string } {
  const path = join(t.testdir(), 'lines.log');
  const fd = openSync(path, 'w');
  t.teardown(() => closeSync(fd));
  return { lines: new BatchedLines(fd, batchBytes), written: () => readFileSync(path, 'utf8') };
}

t.test('BatchedLines: a line waits for the ones after it, then is written without a flush', async (t) => {
  const { lines, written } = batchedToFile(t);
  lines.write('{"a":1}\n');
  lines.write('{"a":2}\n');
  t.equal(written(), '', 'nothing written yet: the lines wait together');
  await eventually(() => written() !== '', 5000, 'the flush timer');
  t.equal(written(), '{"a":1}\n{"a":2}\n', 'the timer wrote both lines in one write, without a flush');
});

t.test('BatchedLines: flush writes what waits and calls back; a flush with nothing waiting writes nothing', async (t) => {
  const { lines, written } = batchedToFile(t);
  lines.write('{"b":1}\n');
  await new Promise<void>((resolve) => lines.flush(resolve));
  t.equal(written(), '{"b":1}\n');
  lines.flush();
  t.equal(written(), '{"b":1}\n');
});

t.test('BatchedLines: lines that would pass 4096 bytes are written at once, in whole lines', async (t) => {
  const { lines, written } = batchedToFile(t);
  const line = (i: number): string => `{"i":${i},"filler":"${'é'.repeat(150)}"}\n`; // 2-byte characters: bytes, not characters, count
  const sizes: number[] = []; // the file's size in bytes after each write() that changed it
  for (let i = 0; i < 40; i += 1) {
    lines.write(line(i));
    const now = written();
    t.ok(now === '' || now.endsWith('\n'), 'only whole lines are written');
    const size = Buffer.byteLength(now);
    if (size !== (sizes.at(-1) ?? 0)) sizes.push(size);
  }
  const batches = sizes.map((size, i) => size - (sizes[i - 1] ?? 0));
  t.ok(batches.length >= 3, `written in batches before any flush (${batches.length})`);
  for (const bytes of batches) t.ok(bytes <= 4096 && bytes > 4096 - Buffer.byteLength(line(0)), `a full batch of ${bytes} bytes`);
  lines.flush();
  t.equal(written(), Array.from({ length: 40 }, (_, i) => line(i)).join(''), 'every line, in order, once');
});

t.test('BatchedLines: a process alone on stdout gathers up to its bigger batch; a line longer than the batch goes alone', async (t) => {
  const { lines, written } = batchedToFile(t, SOLE_WRITER_BATCH);
  const line = (i: number): string => `{"i":${i},"filler":"${'x'.repeat(500)}"}\n`;
  let expected = '';
  for (let i = 0; Buffer.byteLength(expected + line(i)) <= SOLE_WRITER_BATCH; i += 1) {
    lines.write(line(i));
    expected += line(i);
  }
  t.ok(Buffer.byteLength(expected) > 8 * PIPE_BUF, 'many times PIPE_BUF gathered');
  t.equal(written(), '', 'and nothing written yet');
  const long = `{"long":"${'é'.repeat(SOLE_WRITER_BATCH)}"}\n`;
  lines.write(long);
  t.equal(written(), expected + long, 'what waited, then the long line, whole');
  lines.write('{"after":1}\n');
  lines.flush();
  t.equal(written(), `${expected}${long}{"after":1}\n`);
});

for (const ending of ['exit', 'throw'] as const) {
  t.test(`stdout: lines still waiting are written when the process ends by ${ending === 'exit' ? 'process.exit' : 'an uncaught exception'}`, async (t) => {
    const child = spawnEntry(t, 'test/helpers/log-lines.ts', ['50', ending], {});
    const { code } = await child.exited;
    t.equal(code, ending === 'exit' ? 3 : 1);
    t.same(child.logs().map((l) => l.message), Array.from({ length: 50 }, (_, i) => `line ${i}`));
    if (ending === 'throw') t.match(child.stderr(), /thrown on purpose/);
  });
}

t.test('stdout: a process that keeps running writes its lines within the flush interval, unprompted', async (t) => {
  const child = spawnEntry(t, 'test/helpers/log-lines.ts', ['3', 'stay'], {});
  await eventually(() => child.logs().length > 0, 20_000, 'the child to start and its flush timer to fire');
  t.same(child.logs().map((l) => l.message), ['line 0', 'line 1', 'line 2']);
  child.child.kill('SIGKILL');
});
