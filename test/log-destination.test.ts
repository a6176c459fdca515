// The stdout writer: lines batched into whole-line writes, and nothing lost when the process ends.
import fs, { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BatchedLines, PIPE_BUF, SOLE_WRITER_BATCH } from '../src/log-destination.js';
import { spawnEntry } from './helpers/process.js';
import { eventually } from './helpers/server.js';

/**
 * A BatchedLines writing to a fresh file (in a directory tap removes afterwards), what that file holds now, and the
 * bytes of each write(2) to it so far (sonic-boom writes through fs.writeSync, watched for the test's duration).
 */
function batchedToFile(t: Test, batchBytes?: number): { lines: BatchedLines; written: () => string; writes: number[] } {
  const path = join(t.testdir(), 'lines.log');
  const fd = openSync(path, 'w');
  t.teardown(() => closeSync(fd));
  const writes: number[] = [];
  const writeSync = fs.writeSync;
  fs.writeSync = ((...args: Parameters<typeof writeSync>) => {
    const bytes = writeSync(...args);
    if (args[0] === fd) writes.push(bytes);
    return bytes;
  }) as typeof writeSync;
  t.teardown(() => void (fs.writeSync = writeSync));
  return { lines: new BatchedLines(fd, batchBytes), written: () => readFileSync(path, 'utf8'), writes };
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

t.test('BatchedLines: lines that would pass 4096 bytes are written at once, in whole lines of at most 4096 bytes', async (t) => {
  for (const [filler, what] of [['x', 'ASCII'], ['é', '2-byte characters: bytes, not characters, count']] as const) {
    const { lines, written, writes } = batchedToFile(t);
    const line = (i: number): string => `{"i":${i},"filler":"${filler.repeat(150)}"}\n`;
    for (let i = 0; i < 60; i += 1) {
      lines.write(line(i));
      const now = written();
      t.ok(now === '' || now.endsWith('\n'), `${what}: only whole lines are written`);
    }
    t.ok(writes.length >= 2, `${what}: written in ${writes.length} writes before any flush`);
    t.ok(writes.every((bytes) => bytes <= PIPE_BUF), `${what}: no write over 4096 bytes (${writes.join(', ')})`);
    if (filler === 'x') t.ok(writes.every((bytes) => bytes > PIPE_BUF - line(0).length), `${what}: every write a full batch`);
    lines.flush();
    t.equal(written(), Array.from({ length: 60 }, (_, i) => line(i)).join(''), `${what}: every line, in order, once`);
  }
});

t.test('BatchedLines: a line of fewer characters than a batch but more bytes goes alone, whole, between the others', async (t) => {
  const { lines, written, writes } = batchedToFile(t);
  const long = `{"long":"${'é'.repeat(2500)}"}\n`;
  for (const line of ['{"a":1}\n', long, '{"b":2}\n']) lines.write(line);
  t.same(writes, [], 'all three wait: their characters fit in a batch');
  lines.flush();
  t.same(writes, [8, Buffer.byteLength(long), 8], 'the line before, the long line alone, the line after');
  t.equal(written(), `{"a":1}\n${long}{"b":2}\n`);
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
