// Traces: a span per RPC, received over OTLP/HTTP by a receiver that decodes the official OTLP protobufs
// (test/helpers/otlp-receiver.ts). Spans are sent in batches every OTEL_BSP_SCHEDULE_DELAY (20 ms here).
import { once } from 'node:events';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { connect } from 'node:http2';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { otlpMetricReader } from '../../src/server/otlp.js';
import { collect, sayHello } from '../helpers/calls.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { accessLine, eventually, startServer, type LogLine } from '../helpers/server.js';

const SAY_HELLO = '/helloworld.Greeter/SayHello';
const REPLIES = '/helloworld.Greeter/LotsOfReplies';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SPAN_KIND_SERVER = 2;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

async function tracedServer(t: Test, receiver: OtlpReceiver, env: Record<string, string> = {}) {
  return startServer(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '20', GOOGLE_CLOUD_PROJECT: 'p', ...env });
}

async function spanNamed(receiver: OtlpReceiver, what: string, match: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
  await eventually(() => receiver.spans.some(match), 5000, what);
  return receiver.spans.find(match) as ReceivedSpan;
}

function metadataWith(headers: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return metadata;
}

/** The access line names the exported span: Cloud Logging shows the two together. */
function assertLineNamesSpan(t: Test, line: LogLine, span: ReceivedSpan): void {
  t.equal(line['logging.googleapis.com/trace'], `projects/p/traces/${span.traceId}`, "the access line's trace is the span's");
  t.equal(line['logging.googleapis.com/spanId'], span.spanId, "the access line's span id is the exported span's");
  t.equal(line['logging.googleapis.com/trace_sampled'], true);
}

t.test('a unary call with a traceparent makes a server span that continues the caller\'s trace', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client, logs } = await tracedServer(t, receiver, { OTEL_SERVICE_NAME: 'greeter-test' });
  const { status } = await sayHello(client(), { name: 'Ada' }, {}, metadataWith({ traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'vendor=1' }));
  t.equal(status.code, grpc.status.OK);
  const span = await spanNamed(receiver, 'the SayHello span', (s) => s.traceId === TRACE_ID);
  t.equal(span.name, 'helloworld.Greeter/SayHello');
  t.equal(span.kind, SPAN_KIND_SERVER);
  t.equal(span.parentSpanId, CALLER_SPAN, 'the parent is the span traceparent names');
  t.not(span.spanId, CALLER_SPAN, 'the span is a span of its own');
  t.equal(span.traceState, 'vendor=1', 'tracestate is carried on');
  t.same(span.attributes, { 'rpc.system': 'grpc', 'rpc.service': 'helloworld.Greeter', 'rpc.method': 'SayHello', 'rpc.grpc.status_code': 0 });
  t.equal(span.status.code, STATUS_UNSET);
  t.ok(span.endTimeUnixNano >= span.startTimeUnixNano);
  t.equal(span.resource['service.name'], 'greeter-test');
  assertLineNamesSpan(t, await accessLine(logs, SAY_HELLO), span);
  t.same(receiver.rejected, []);
});

t.test('x-cloud-trace-context names the parent too: its decimal span id as 16 hex digits', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client, logs } = await tracedServer(t, receiver);
  const { status } = await sayHello(client(), { name: 'Ada' }, {}, metadataWith({ 'x-cloud-trace-context': `${TRACE_ID}/1;o=1` }));
  t.equal(status.code, grpc.status.OK);
  const span = await spanNamed(receiver, 'the SayHello span', (s) => s.traceId === TRACE_ID);
  t.equal(span.parentSpanId, '0000000000000001');
  assertLineNamesSpan(t, await accessLine(logs, SAY_HELLO), span);
});

t.test('a call without trace headers starts a trace of its own, which its access line names', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client, logs } = await tracedServer(t, receiver);
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);
  const span = await spanNamed(receiver, 'the SayHello span', (s) => s.name === 'helloworld.Greeter/SayHello');
  t.equal(span.parentSpanId, '', 'a root span');
  t.match(span.traceId, /^[\da-f]{32}$/);
  assertLineNamesSpan(t, await accessLine(logs, SAY_HELLO), span);
});

t.test("a caller's error leaves the span's status unset; its code is rpc.grpc.status_code", async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client } = await tracedServer(t, receiver);
  t.equal((await sayHello(client(), { name: '' })).status.code, grpc.status.INVALID_ARGUMENT);
  const span = await spanNamed(receiver, 'the SayHello span', (s) => s.name === 'helloworld.Greeter/SayHello');
  t.equal(span.attributes['rpc.grpc.status_code'], grpc.status.INVALID_ARGUMENT);
  t.equal(span.status.code, STATUS_UNSET);
});

t.test('a server stream the client cancels ends its span, CANCELLED', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client, server } = await tracedServer(t, receiver);
  const call = client().LotsOfReplies({ name: 'Ada', count: 1000, interval_ms: 20 });
  const outcome = collect(call);
  await once(call, 'data');
  call.cancel();
  t.equal((await outcome).status.code, grpc.status.CANCELLED);
  const span = await spanNamed(receiver, 'the cancelled stream\'s span', (s) => s.name === 'helloworld.Greeter/LotsOfReplies');
  t.equal(span.attributes['rpc.grpc.status_code'], grpc.status.CANCELLED);
  t.equal(span.status.code, STATUS_UNSET);
  t.equal(server.inFlight().length, 0);
});

/** A HelloRequest on the wire, length-prefixed: name "Ada", count 100, interval_ms 100. */
const SLOW_REPLIES_REQUEST = Buffer.from([0, 0, 0, 0, 9, 0x0a, 3, 0x41, 0x64, 0x61, 0x10, 100, 0x18, 100]);

t.test('a server stream its deadline ends ends its span with DEADLINE_EXCEEDED, an error', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { address, logs } = await tracedServer(t, receiver);
  // A bare HTTP/2 client keeps no timer of its own: only the server's deadline can end the call.
  const session = connect(`http://${address}`);
  session.on('error', () => {});
  t.teardown(() => session.close());
  const stream = session.request({ ':method': 'POST', ':path': REPLIES, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': '200m' });
  stream.end(SLOW_REPLIES_REQUEST);
  stream.resume();
  const trailers = await new Promise<Record<string, unknown>>((resolve) => stream.once('trailers', resolve));
  t.equal(trailers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED));
  const span = await spanNamed(receiver, 'the stream\'s span', (s) => s.name === 'helloworld.Greeter/LotsOfReplies');
  // The span ends with the code the access line records, and DEADLINE_EXCEEDED, a server error, sets its status.
  const line = await accessLine(logs, REPLIES);
  t.equal(grpc.status[span.attributes['rpc.grpc.status_code'] as number], line.code, "the span's code is the access line's");
  t.equal(span.status.code, line.code === 'DEADLINE_EXCEEDED' ? STATUS_ERROR : STATUS_UNSET);
  t.equal(line.code, 'DEADLINE_EXCEEDED');
});

t.test("the default sampler follows the caller's sampled flag: an unsampled call is not exported, and its line names the caller's span", async (t) => {
  const receiver = await startOtlpReceiver(t);
  const { client, logs } = await tracedServer(t, receiver);
  const unsampledTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const greeter = client();
  await sayHello(greeter, { name: 'unsampled' }, {}, metadataWith({ traceparent: `00-${unsampledTrace}-${CALLER_SPAN}-00` }));
  await sayHello(greeter, { name: 'sampled' }, {}, metadataWith({ traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` }));
  // Spans go in the order they ended: once the second is here, the first would have been too.
  await spanNamed(receiver, 'the sampled span', (s) => s.traceId === TRACE_ID);
  t.notOk(receiver.spans.some((s) => s.traceId === unsampledTrace), 'the unsampled call was not exported');
  const line = logs.find((l) => l.method === SAY_HELLO && l['logging.googleapis.com/trace'] === `projects/p/traces/${unsampledTrace}`);
  t.equal(line?.['logging.googleapis.com/spanId'], CALLER_SPAN, "the unsampled call's line names the caller's span, as with tracing off");
  t.equal(line?.['logging.googleapis.com/trace_sampled'], false);
});

t.test('OTEL_TRACES_SAMPLER=always_off exports nothing; always_on overrides an unsampled parent', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const off = await tracedServer(t, receiver, { OTEL_TRACES_SAMPLER: 'always_off' });
  const on = await tracedServer(t, receiver, { OTEL_TRACES_SAMPLER: 'always_on' });
  await sayHello(off.client(), { name: 'off' }, {}, metadataWith({ traceparent: `00-${'b'.repeat(32)}-${CALLER_SPAN}-01` }));
  await off.server.drain('test');
  await sayHello(on.client(), { name: 'on' }, {}, metadataWith({ traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-00` }));
  await spanNamed(receiver, 'the always_on span', (s) => s.traceId === TRACE_ID);
  t.notOk(receiver.spans.some((s) => s.traceId === 'b'.repeat(32)), 'always_off exported nothing, even at its drain');
});

t.test('the drain sends the spans still waiting before it resolves', async (t) => {
  const receiver = await startOtlpReceiver(t);
  // A batch would otherwise wait a minute.
  const { client, server } = await tracedServer(t, receiver, { OTEL_BSP_SCHEDULE_DELAY: '60000' });
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);
  t.equal(receiver.spans.length, 0, 'nothing sent yet');
  await server.drain('test');
  t.equal(receiver.spans.length, 1, 'the span was sent within the drain');
  t.equal(receiver.spans[0]?.name, 'helloworld.Greeter/SayHello');
});

t.test('a collector that resets every connection fails no call, and its errors make one log line', async (t) => {
  const sockets: Socket[] = [];
  const collector = createTcpServer((socket) => {
    sockets.push(socket);
    socket.destroy();
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  t.teardown(() => collector.close());
  const { port } = collector.address() as { port: number };
  // One attempt per export: the exporter's first retry (after 1 s) would be past this timeout.
  const { client, logs } = await startServer(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_BSP_SCHEDULE_DELAY: '10',
    OTEL_EXPORTER_OTLP_TIMEOUT: '200',
  });
  const greeter = client();
  // Exports go one at a time: by the fourth connection, three exports have failed.
  for (let i = 0; sockets.length < 4; i += 1) {
    if (i === 500) throw new Error(`only ${sockets.length} export attempts after 500 calls`);
    t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
    if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  const errors = () => logs.filter((l) => l.message.startsWith('OpenTelemetry export failing'));
  await eventually(() => errors().length > 0, 5000, 'the export error line');
  t.equal(errors().length, 1, 'one line for several failed exports');
  t.equal(errors()[0]?.severity, 'ERROR');
});

t.test('otlpMetricReader pushes a MeterProvider\'s metrics to the same collector over OTLP/HTTP', async (t) => {
  const receiver = await startOtlpReceiver(t);
  const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_EXPORTER: 'none' });
  const reader = otlpMetricReader(config, createLogger('info', new PassThrough()));
  t.ok(reader, 'a reader, the endpoint being set');
  const provider = new MeterProvider({ readers: [reader!] });
  t.teardown(() => provider.shutdown());
  provider.getMeter('test').createCounter('test.calls').add(3);
  await provider.forceFlush();
  t.same(receiver.metrics, ['test.calls']);
  t.equal(otlpMetricReader(loadConfig({}), createLogger('info', new PassThrough())), undefined, 'no reader without an endpoint');
});
