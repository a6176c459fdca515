// The access line: one per RPC, its fields and severity, and the trace fields Cloud Logging links to.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { createLogger, type Logger } from '../../src/logger.js';
import { AccessLog, levelFor, type LoggedCall } from '../../src/server/access-log.js';
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

t.test('the access line is byte for byte the line pino writes for the same call, whatever its values hold', async (t) => {
  const written: string[] = [];
  const destination = { write: (line: string) => void written.push(line) };
  const loggers = [createLogger('debug', destination), createLogger('debug', destination).child({ worker: 2, pid: 1234 })];
  const longDetails = `"${'quoted and long, '.repeat(8)}"`;
  const details = ['say "hi"', 'back\\slash', 'two\nlines\r\n', 'tab\there', '\u0000\u001f\u007f', 'ünïcødé 漢字 😀', 'lone \ud800 surrogate', 'lone \udc00 "quoted"', '\u2028\u2029', '', longDetails, `${longDetails}\ud800`];
  const peers: Array<Partial<ConnectionInfo>> = [
    { remoteAddress: '127.0.0.1', remotePort: 50051 },
    { remoteAddress: '::1', remotePort: 443 },
    { remoteAddress: 'fe80::1%eth0', remotePort: 8080 },
    { remoteAddress: '::ffff:10.0.0.1' },
    {},
    { remoteAddress: 'a "peer"\n', remotePort: 1 },
  ];
  const traced = (name: string, value: string): grpc.Metadata => {
    const metadata = new grpc.Metadata();
    metadata.set(name, value);
    return metadata;
  };
  const calls: Array<{ method?: string; code: grpc.status; details?: string; counts?: [number, number]; peer?: Partial<ConnectionInfo>; metadata?: grpc.Metadata; project?: string; unstarted?: boolean }> = [
    { code: grpc.status.OK },
    { code: grpc.status.OK, counts: [1, 100], metadata: traced('traceparent', `00-${TRACE}-00f067aa0ba902b7-01`), project: 'my-project' },
    { code: grpc.status.OK, counts: [0, 0], metadata: traced('x-cloud-trace-context', `${TRACE}/12345`), project: 'a "project"' },
    { code: grpc.status.CANCELLED, counts: [0, 0], unstarted: true },
    { code: grpc.status.UNKNOWN, details: undefined, counts: [7, 3] },
    { code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many calls', metadata: traced('x-cloud-trace-context', TRACE), project: 'p' },
    // Methods no service registers, which a client names as it likes.
    { method: '/a"b/c\n', code: grpc.status.UNIMPLEMENTED, details: 'no such method' },
    { method: `/${'very.long.package.'.repeat(5)}Service/Method`, code: grpc.status.OK },
    { method: `/${'long.'.repeat(20)}\ud800/M`, code: grpc.status.INVALID_ARGUMENT, details: 'x' },
    ...details.map((value) => ({ code: grpc.status.INVALID_ARGUMENT, details: value, counts: [1, 0] as [number, number] })),
    ...peers.map((peer) => ({ code: grpc.status.OK, peer })),
  ];
  let compared = 0;
  for (const logger of loggers) {
    for (const [index, { method = '/helloworld.Greeter/SayHello', code, details, counts: [messagesIn, messagesOut] = [1, 1], peer = peers[0]!, metadata, project, unstarted = false }] of calls.entries()) {
      const accessLog = new AccessLog(logger, project);
      const call: LoggedCall = {
        method,
        registered: true,
        started: performance.now() - 1.5,
        messagesIn,
        messagesOut,
        metadata,
        span: undefined,
        getConnectionInfo: () => ({ localAddress: '127.0.0.1', localPort: 8080, ...peer }) as ConnectionInfo,
      };
      // Twice: the line of a method and code seen before is built from what the first one serialized.
      for (let i = 0; i < 2; i += 1) {
        written.length = 0;
        // One clock for both lines, so that their time fields are the same string (held only while they are written).
        const realNow = Date.now;
        const now = realNow();
        Date.now = () => now;
        try {
          accessLog.write(call, code, details, unstarted ? 'reset' : 'handler');
          const { duration_ms: durationMs } = JSON.parse(written[0]!) as { duration_ms: number };
          pinoLine(logger, call, code, details, unstarted, durationMs, project);
        } finally {
          Date.now = realNow;
        }
        t.equal(written.length, 2, 'one line each');
        const [ours = '', pinos = ''] = written;
        // Named by index: some of these values would break the test's own report.
        t.equal(ours, pinos, `call ${index}, ${grpc.status[code]}`);
        t.same(Object.keys(JSON.parse(ours) as object), Object.keys(JSON.parse(pinos) as object));
        compared += 1;
      }
    }
  }
  t.equal(compared, loggers.length * calls.length * 2);
});

type ConnectionInfo = ReturnType<LoggedCall['getConnectionInfo']>;

/** The line as pino writes it: the call's method and code (and counts of 0 or 1) a child's bindings, the rest its merging object. */
function pinoLine(
  logger: Logger,
  call: LoggedCall,
  code: grpc.status,
  details: string | undefined,
  unstarted: boolean,
  durationMs: number,
  project: string | undefined,
): void {
  const { remoteAddress, remotePort } = call.getConnectionInfo();
  const peer = !remoteAddress ? 'unknown' : remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
  const bound = call.messagesIn <= 1 && call.messagesOut <= 1;
  const codeName = grpc.status[code];
  const child = logger.child(
    bound ? { method: call.method, code: codeName, messages_in: call.messagesIn, messages_out: call.messagesOut } : { method: call.method, code: codeName },
  );
  const entry: Record<string, unknown> = bound
    ? { duration_ms: durationMs, peer }
    : { messages_in: call.messagesIn, messages_out: call.messagesOut, duration_ms: durationMs, peer };
  if (code !== grpc.status.OK) entry.details = details;
  const trace = call.metadata && traceFields(project, call.metadata.get('traceparent')[0] as string, call.metadata.get('x-cloud-trace-context')[0] as string);
  if (trace !== undefined) Object.assign(entry, trace);
  child[levelFor(code, unstarted ? 'reset' : 'handler')](entry, `${call.method} ${codeName} ${durationMs}ms`);
}
