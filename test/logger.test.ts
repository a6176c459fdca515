import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { BatchedLines, isoTime, PIPE_BUF, SOLE_WRITER_BATCH, traceFields } from '../src/logger.js';
import { sayHello } from './helpers/calls.js';
import { spawnEntry } from './helpers/process.js';
import { accessLine, eventually, startServer } from './helpers/server.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

t.test('traceparent becomes Cloud Logging trace, span and sampled fields', async (t) => {
  t.same(traceFields('p', `00-${TRACE}-00f067aa0ba902b7-01`, undefined), {
    'logging.googleapis.com/trace': `projects/p/traces/${TRACE}`,
    'logging.googleapis.com/spanId': '00f067aa0ba902b7',
    'logging.googleapis.com/trace_sampled': true,
  });
});

t.test('x-cloud-trace-context is used when there is no traceparent, its decimal span made hex', async (t) => {
  t.same(traceFields('p', undefined, `${TRACE}/1;o=0`), {
    'logging.googleapis.com/trace': `projects/p/traces/${TRACE}`,
    'logging.googleapis.com/spanId': '0000000000000001',
    'logging.googleapis.com/trace_sampled': false,
  });
  t.same(traceFields('p', 'garbage', TRACE), { 'logging.googleapis.com/trace': `projects/p/traces/${TRACE}` });
});

t.test('no trace fields without a project or a usable header', async (t) => {
  t.equal(traceFields(undefined, `00-${TRACE}-00f067aa0ba902b7-01`, undefined), undefined);
  t.equal(traceFields('p', 'garbage', 'also garbage'), undefined);
  t.equal(traceFields('p', undefined, undefined), undefined);
});

t.test('each RPC writes one access line with method, code, duration, message counts, peer and trace', async (t) => {
  const { client, logs } = await startServer(t, { GOOGLE_CLOUD_PROJECT: 'my-project' });
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${TRACE}-00f067aa0ba902b7-01`);
  const greeter = client();
  await new Promise<void>((resolve) => greeter.SayHello({ name: 'Ada' }, metadata, () => resolve()));
  const line = await accessLine(logs, '/helloworld.Greeter/SayHello');
  t.equal(line.severity, 'INFO');
  t.equal(line.code, 'OK');
  t.equal(line.messages_in, 1);
  t.equal(line.messages_out, 1);
  t.type(line.duration_ms, 'number');
  t.match(line.peer, /^127\.0\.0\.1:\d+$/);
  t.equal(line['logging.googleapis.com/trace'], `projects/my-project/traces/${TRACE}`);
  t.match(line.message, /^\/helloworld\.Greeter\/SayHello OK [\d.]+ms$/);
  t.type(line.time, 'string');
  t.notOk('level' in line, 'severity replaces pino\'s numeric level');
  t.equal(logs.filter((l) => l.method === '/helloworld.Greeter/SayHello').length, 1, 'exactly one line');
});

t.test('a failed RPC is logged with its status details at the severity its code deserves', async (t) => {
  const { client, logs } = await startServer(t, { STREAMING: 'off' });
  await sayHello(client(), { name: '' });
  const invalid = await accessLine(logs, '/helloworld.Greeter/SayHello');
  t.equal(invalid.severity, 'INFO', 'INVALID_ARGUMENT is the caller\'s problem');
  t.match(invalid.details, /name is empty/);
  const call = client().LotsOfReplies({ name: 'Ada' });
  call.on('error', () => {});
  const unimplemented = await accessLine(logs, '/helloworld.Greeter/LotsOfReplies');
  t.equal(unimplemented.severity, 'ERROR');
  t.equal(unimplemented.code, 'UNIMPLEMENTED');
});

t.test('with LOG_LEVEL=warn a successful call writes no access line', async (t) => {
  // A status the server itself decides, so its severity is certain: RESOURCE_EXHAUSTED (warn) from the
  // concurrency limit. A deadline would not do: whether the server sees DEADLINE_EXCEEDED (warn) or the
  // client's CANCELLED (info) depends on which side's timer fires first.
  const { client, logs } = await startServer(t, { LOG_LEVEL: 'warn', MAX_CONCURRENT_CALLS: '1' }, { logLevel: 'warn' });
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);
  const held = client().LotsOfReplies({ name: 'Ada', count: 10, interval_ms: 100 });
  held.on('error', () => {});
  await once(held, 'data');
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.RESOURCE_EXHAUSTED, 'the open stream holds the only slot');
  const refused = await accessLine(logs, '/helloworld.Greeter/SayHello');
  t.equal(refused.severity, 'WARNING', 'RESOURCE_EXHAUSTED is still logged at warn');
  t.equal(refused.code, 'RESOURCE_EXHAUSTED');
  held.cancel();
  t.equal(logs.filter((l) => l.method === '/helloworld.Greeter/SayHello').length, 1, 'the OK call wrote no line');
});

t.test('isoTime writes what Date#toISOString does, formatting each second once', async (t) => {
  const instants = [0, 7, 42, 999, 1000, 1_764_108_323_380, 1_764_108_323_005, 1_764_108_324_000, 1_764_108_323_999, Date.now()];
  for (const now of instants) t.equal(isoTime(now), `,"time":"${new Date(now).toISOString()}"`, String(now));
});

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
  await eventually(() => written() === '{"a":1}\n{"a":2}\n');
  t.pass('the timer wrote both lines without a flush');
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
  await eventually(() => child.logs().length === 3);
  t.same(child.logs().map((l) => l.message), ['line 0', 'line 1', 'line 2']);
  child.child.kill('SIGKILL');
});
