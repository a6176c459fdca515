// `load --call` over real sockets: any method of the interop TestService, its
// descriptors from the server's reflection or from --proto, with both drivers;
// request data as JSON, arrays taken in turn, templates rendered per call; bad
// input refused with exit 2 before any call is made.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { main } from '../../src/cli.js';
import { runJson } from '../cli/run-load.js';
import { closedPort, memoryIo } from '../helpers/cli.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { startServer, type LogLine } from '../helpers/server.js';
import { startBareServer } from './bare-server.js';
import { INTEROP_PROTO, startRecordingServer } from './recording-server.js';

const KINDS = {
  unary: { method: 'UnaryCall', data: '{"response_size": 3}', sent: 1, received: 1 },
  server: { method: 'StreamingOutputCall', data: '{"responseParameters": [{"size": 1}, {"size": 2}]}', sent: 1, received: 2 },
  client: { method: 'StreamingInputCall', data: '{"payload": {"body": "AAEC"}}', sent: 3, received: 1 },
  bidi: { method: 'FullDuplexCall', data: '{"response_parameters": [{"size": 4}]}', sent: 3, received: 3 },
} as const;

/** `cloudrun-grpc load ARGS` through the dispatcher (which turns a usage error into exit 2), stdin given. */
async function runLoad(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = memoryIo(stdin);
  const code = await main(['load', ...args], io);
  return { code, ...output };
}

const linesOf = (logs: LogLine[], method: string): LogLine[] => logs.filter((l) => l.method === `/grpc.testing.TestService/${method}`);

for (const [kind, { method, data, sent, received }] of Object.entries(KINDS)) {
  for (const [source, flags] of [['reflection', []], ['--proto', INTEROP_PROTO]] as const) {
    for (const driver of ['http2', 'grpc-js']) {
      t.test(`--call drives ${method} (${kind}) with descriptors from ${source}, ${driver} driver: the server saw every call`, async (t) => {
        const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
        const { code, report, stderr } = await runJson(address, [
          '--call', `grpc.testing.TestService/${method}`, ...flags, '--driver', driver, '-d', data, '-n', '40', '-c', '4', '--messages', '3',
        ]);
        t.equal(code, 0, stderr);
        t.equal(report.shape, kind, 'the kind comes from the descriptor');
        t.equal(report.options.call, `grpc.testing.TestService/${method}`);
        t.same(report.statusCodeDistribution, { OK: 40 });
        t.equal(report.messagesSent, 40 * sent);
        t.equal(report.messagesReceived, 40 * received);
        const lines = linesOf(logs, method);
        t.equal(lines.length, 40, 'one access-log line per call');
        t.equal(lines.reduce((n, l) => n + (l.messages_in as number), 0), 40 * sent, 'the server received what was sent');
      });
    }
  }
}

for (const driver of ['http2', 'grpc-js']) {
  t.test(`a bidi method that answers only after the half-close gets every message at once (HalfDuplexCall, ${driver})`, async (t) => {
    const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
    const { code, report } = await runJson(address, [
      '--call', 'grpc.testing.TestService/HalfDuplexCall', '--driver', driver, '-d', '{"response_parameters": [{"size": 2}]}', '-n', '10', '-c', '2', '--messages', '4',
    ]);
    t.equal(code, 0);
    t.same(report.statusCodeDistribution, { OK: 10 });
    t.equal(report.messagesSent, 40);
    t.equal(report.messagesReceived, 40);
    t.equal(linesOf(logs, 'HalfDuplexCall').length, 10);
  });
}

t.test('package.Service.Method names the method too', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
  const { code } = await runJson(address, ['--call', 'grpc.testing.TestService.EmptyCall', '-n', '5']);
  t.equal(code, 0);
  t.equal(linesOf(logs, 'EmptyCall').length, 5);
});

t.test('--call helloworld.Greeter/SayHello without --data sends what --shape unary sends', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const viaCall = await runJson(address, ['--call', 'helloworld.Greeter/LotsOfReplies', '--replies', '3', '-n', '4']);
  const viaShape = await runJson(address, ['--shape', 'server', '--replies', '3', '-n', '4']);
  t.equal(viaCall.report.messagesReceived, 12);
  t.equal(viaShape.report.messagesReceived, 12);
  t.equal(logs.filter((l) => l.method === '/helloworld.Greeter/LotsOfReplies').length, 8);
});

for (const driver of ['http2', 'grpc-js']) {
  t.test(`a JSON array sends its elements one per call, in turn (${driver})`, async (t) => {
    const server = await startRecordingServer(t);
    const { code } = await runJson(server.address, [
      '--call', 'grpc.testing.TestService/UnaryCall', ...INTEROP_PROTO, '--driver', driver, '-n', '30', '-c', '3',
      '-d', '[{"response_size": 1}, {"responseSize": 2}, {"response_size": "3"}]',
    ]);
    t.equal(code, 0);
    const counts = [1, 2, 3].map((size) => server.unary.filter((a) => a.request.response_size === size).length);
    t.same(counts, [10, 10, 10], 'each element ten times');
  });

  t.test(`a JSON array is one client stream's messages, in order (${driver})`, async (t) => {
    const server = await startRecordingServer(t);
    const { code, report } = await runJson(server.address, [
      '--call', 'grpc.testing.TestService/StreamingInputCall', ...INTEROP_PROTO, '--driver', driver, '-n', '6', '-c', '2',
      '-d', '[{"payload": {"body": "AQ=="}}, {"payload": {"body": "AgI="}}, {"payload": {"body": "AwMD"}}]',
    ]);
    t.equal(code, 0);
    t.equal(report.messagesSent, 18);
    t.equal(server.streams.length, 6);
    for (const messages of server.streams) {
      t.same(messages.map((m) => [...((m as { payload: { body: Buffer } }).payload.body)]), [[1], [2, 2], [3, 3, 3]]);
    }
  });
}

for (const [driver, workers] of [['http2', '1'], ['grpc-js', '1'], ['http2', '2'], ['grpc-js', '2']] as const) {
  t.test(`templates render per call: the server sees RequestNumber 0..n-1 once each (${driver}, --workers ${workers})`, async (t) => {
    const server = await startRecordingServer(t);
    const before = Date.now();
    const { code, stderr } = await runJson(server.address, [
      '--call', 'grpc.testing.TestService/UnaryCall', ...INTEROP_PROTO, '--driver', driver, '--workers', workers,
      '-n', '200', '-c', '4', '--connections', '2', '--metadata', 'x-request={{.RequestNumber}}-{{.WorkerID}}',
      '-d', '{"response_size": {{.RequestNumber}}, "response_status": {"message": "{{.WorkerID}} {{.UUID}} {{.TimestampUnix}} {{.TimestampUnixMilli}} {{randomString 12}} {{randomInt 5 8}}"}}',
    ]);
    t.equal(code, 0, stderr);
    const numbers = server.unary.map((a) => a.request.response_size).sort((a, b) => a - b);
    t.same(numbers, Array.from({ length: 200 }, (_, i) => i), 'every number from 0 to 199, once');
    const parts = server.unary.map((a) => (a.request.response_status?.message ?? '').split(' '));
    t.same(new Set(parts.map((p) => p[0])), new Set(workers === '2' ? ['0', '1'] : ['0']), 'WorkerID names the thread');
    t.equal(new Set(parts.map((p) => p[1])).size, 200, 'a fresh UUID per call');
    t.ok(parts.every((p) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(p[1] as string)), 'UUIDs are v4');
    t.ok(parts.every((p) => Math.abs(Number(p[2]) - before / 1000) < 60), 'TimestampUnix is now, in seconds');
    t.ok(parts.every((p) => Number(p[3]) >= before && Number(p[3]) <= Date.now()), 'TimestampUnixMilli is the call time, in ms');
    t.ok(parts.every((p) => /^[A-Za-z0-9]{12}$/.test(p[4] as string)), 'randomString N: N letters and digits');
    t.same(new Set(parts.map((p) => p[5])), new Set(['5', '6', '7']), 'randomInt MIN MAX: from MIN up to MAX, not MAX');
    for (const arrival of server.unary) {
      const [number, worker] = String(arrival.metadata.get('x-request')[0]).split('-');
      t.equal(Number(number), arrival.request.response_size, 'the metadata is rendered for the same call');
      if (workers === '2') t.equal(Number(worker), Number(number) % 2, 'thread i makes the numbers i, i+2, …');
    }
  });
}

t.test('a templated array is rendered per call and still taken in turn; --data-file reads a file', async (t) => {
  const server = await startRecordingServer(t);
  const dir = temporaryDirectory(t, 'cloudrun-grpc-data-');
  const file = path.join(dir, 'data.json');
  writeFileSync(file, '[{"response_size": 1, "response_status": {"message": "{{.RequestNumber}}"}}, {"response_size": 2, "response_status": {"message": "{{.RequestNumber}}"}}]');
  const { code } = await runJson(server.address, ['--call', 'grpc.testing.TestService/UnaryCall', ...INTEROP_PROTO, '-n', '10', '-c', '2', '--data-file', file]);
  t.equal(code, 0);
  t.equal(server.unary.length, 10);
  for (const { request } of server.unary) t.equal(request.response_size, (Number(request.response_status?.message) % 2) + 1, 'call k sends element k mod 2');
});

t.test('protobuf JSON: enums by name, bytes as base64, camelCase or original names; --data-file - reads stdin', async (t) => {
  const server = await startRecordingServer(t);
  const { code, stderr } = await runLoad([
    server.address, '--insecure', '--call', 'grpc.testing.TestService/UnaryCall', ...INTEROP_PROTO, '-n', '2', '--data-file', '-',
  ], '{"responseType": "COMPRESSABLE", "payload": {"type": 0, "body": "aGk="}, "fill_username": true}');
  t.equal(code, 0, stderr);
  t.equal(server.unary.length, 2);
  t.match(server.unary[0]?.request, { response_type: 'COMPRESSABLE', fill_username: true, payload: { body: Buffer.from('hi') } });
});

const BAD_INPUT: [string, string[], RegExp][] = [
  ['an unknown service', ['--call', 'grpc.testing.NoSuchService/UnaryCall'], /the server does not know the service "grpc.testing.NoSuchService" \(it serves: .*grpc.testing.TestService/],
  ['an unknown method', ['--call', 'grpc.testing.TestService/NoSuchCall'], /grpc.testing.TestService has no method "NoSuchCall" \(methods: EmptyCall, UnaryCall/],
  ['a field the message does not have', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"payload": {"bodee": "AA=="}}'], /--data: field "payload.bodee": grpc.testing.Payload has no such field/],
  ['a value of the wrong type', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_size": "big"}'], /--data: field "response_size": int32 is a whole number/],
  ['an enum name that does not exist', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_type": "SHINY"}'], /--data: field "response_type": "SHINY" is not a value of PayloadType \(COMPRESSABLE\)/],
  ['bytes that are not base64', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '[{}, {"payload": {"body": "no!"}}]'], /--data: field "\[1\].payload.body": bytes are a base64 string/],
  ['text that is not JSON', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_size": 1'], /--data: not JSON/],
  ['a template that does not close', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_size": {{.RequestNumber}'], /--data: unclosed action "\{\{" at position 18/],
  ['an unknown template field', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_size": {{.RequestNumbr}}}'], /--data: unknown field ".RequestNumbr" .* at position 18/],
  ['an unknown template function', ['--call', 'grpc.testing.TestService/EmptyCall', '--metadata', 'x-id={{uuid}}'], /--metadata: unknown function "uuid" .* at position 0/],
  ['randomInt with MIN ≥ MAX', ['--call', 'grpc.testing.TestService/UnaryCall', '-d', '{"response_size": {{randomInt 9 3}}}'], /randomInt needs MIN < MAX, got 9 and 3 at position 18/],
];

for (const [what, args, message] of BAD_INPUT) {
  t.test(`${what}: exit 2 with the problem, before any call`, async (t) => {
    const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
    const { code, stderr, stdout } = await runLoad([address, '--insecure', '-n', '5', ...args]);
    t.equal(code, 2);
    t.match(stderr, message);
    t.equal(stdout, '');
    t.equal(logs.filter((l) => typeof l.method === 'string' && l.method.startsWith('/grpc.testing.TestService/')).length, 0, 'no call reached the service');
  });
}

t.test('a server without reflection and no --proto: exit 2, saying to give --proto', async (t) => {
  const { address, metadata } = await startBareServer(t);
  const { code, stderr } = await runLoad([address, '--insecure', '-n', '5', '--call', 'helloworld.Greeter/SayHello']);
  t.equal(code, 2);
  t.match(stderr, /does not offer reflection \(grpc.reflection.v1 or v1alpha\): give its .proto with --proto/);
  t.equal(metadata.length, 0, 'no Greeter call was made');
});

t.test('--proto that cannot be read, and an import it cannot find: exit 2', async (t) => {
  const missing = await runLoad(['127.0.0.1:1', '--insecure', '-n', '1', '--call', 'a.B/C', '--proto', 'no/such.proto']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--proto: cannot read "no\/such.proto"/);
  const noImports = await runLoad(['127.0.0.1:1', '--insecure', '-n', '1', '--call', 'grpc.testing.TestService/UnaryCall', '--proto', 'proto/grpc/testing/test.proto']);
  t.equal(noImports.code, 2);
  t.match(noImports.stderr, /--proto: .*empty.proto/);
});

t.test('nothing listening where reflection is asked: exit 1, naming the cause, as for any unreachable target', async (t) => {
  const port = await closedPort();
  const { code, stdout } = await runLoad([`127.0.0.1:${port}`, '--insecure', '--json', '-n', '1', '--call', 'grpc.testing.TestService/UnaryCall']);
  t.equal(code, 1);
  t.match(JSON.parse(stdout), { error: { code: 'ECONNREFUSED', message: /cannot ask 127.0.0.1:\d+ for its descriptors \(server reflection\)/ } });
});
