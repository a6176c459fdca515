// The access line: one per RPC, its fields and severity, and the trace fields Cloud Logging links to.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { traceFields } from '../../src/server/trace.js';
import { sayHello } from '../helpers/calls.js';
import { accessLine, eventually, startServer } from '../helpers/server.js';

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

t.test("an access line's fields come in the same order for every call, the status details before the message", async (t) => {
  const { client, logs } = await startServer(t);
  const fields = ['severity', 'time', 'method', 'code', 'messages_in', 'messages_out', 'duration_ms', 'peer'];
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);
  const ok = await accessLine(logs, '/helloworld.Greeter/SayHello');
  t.same(Object.keys(ok), [...fields, 'message']);
  t.match(ok, { messages_in: 1, messages_out: 1 });
  t.equal((await sayHello(client(), { name: '' })).status.code, grpc.status.INVALID_ARGUMENT);
  await eventually(() => logs.filter((l) => l.method === '/helloworld.Greeter/SayHello').length === 2, 5000, 'the second line');
  const failed = logs.filter((l) => l.method === '/helloworld.Greeter/SayHello')[1]!;
  t.same(Object.keys(failed), [...fields, 'details', 'message']);
  t.equal(failed.code, 'INVALID_ARGUMENT');
  t.match(failed, { messages_in: 1, messages_out: 0 });
  t.match(failed.message, /^\/helloworld\.Greeter\/SayHello INVALID_ARGUMENT [\d.]+ms$/);
  // Counts of 0 or 1 are bound to the method's logger, others written with each line: the order is the same.
  const replies = client().LotsOfReplies({ name: 'Ada', count: 3 });
  let received = 0;
  replies.on('data', () => (received += 1));
  await once(replies, 'end');
  t.equal(received, 3);
  const streamed = await accessLine(logs, '/helloworld.Greeter/LotsOfReplies');
  t.same(Object.keys(streamed), [...fields, 'message']);
  t.match(streamed, { code: 'OK', messages_in: 1, messages_out: 3 });
});
