// The server's metrics as a real Prometheus (Debian's) scrapes them from
// METRICS_PORT: a known mix of calls, one for each way a call can end, counted
// exactly by method and status code (gRFC A66's names), and the server's own
// counts beside them. Then calls to methods the server does not have.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { helloworld } from '../../src/proto.js';
import { BURST } from '../../src/server/client-lines.js';
import { OTHER_METHOD } from '../../src/server/metrics.js';
import { openSession, openStream, SAY_HELLO } from '../helpers/attacks.js';
import { sayHello } from '../helpers/calls.js';
import { freePort, ROOT, spawnEntry } from '../helpers/process.js';
import { prometheusCommand, startPrometheus, type Prometheus, type Sample } from '../helpers/prometheus.js';
import { eventually, startServer } from '../helpers/server.js';

const LOTS_OF_REPLIES = '/helloworld.Greeter/LotsOfReplies';
const UNKNOWN = '/helloworld.Greeter/Nope';
/** How long Prometheus may take to scrape what the calls left. */
const SCRAPE_TIMEOUT_MS = 30_000;

/** A unary call to a method no service has, through grpc-js's client. */
function callUnknown(client: grpc.Client, path = UNKNOWN): Promise<grpc.ServiceError> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (error) => resolve(error!)),
  );
}

/** `samples` as "label=value,…" → value, for exact comparison. */
function byLabels(samples: readonly Sample[], labels: readonly string[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [labels.map((l) => `${l}=${s.metric[l]}`).join(','), s.value]));
}

async function scalar(prometheus: Prometheus, promql: string): Promise<number | undefined> {
  return (await prometheus.query(promql))[0]?.value;
}

t.test('Prometheus scrapes each call counted once by method and status code, and the server\'s own counts', async (t) => {
  const command = prometheusCommand();
  if ('skip' in command) return t.fail(command.skip);
  const { server, client, address } = await startServer(t, { METRICS_PORT: '0', MAX_CONCURRENT_CALLS: '2', REQUEST_TIMEOUT_MS: '300' });
  const prometheus = await startPrometheus(t, command.path, [`127.0.0.1:${server.metricsPort()}`]);
  const greeter = client();

  // One after another (MAX_CONCURRENT_CALLS is 2): OK ×3, INVALID_ARGUMENT ×2, UNIMPLEMENTED ×2 through a
  // method the server does not have.
  const ok = [];
  for (let i = 0; i < 3; i += 1) ok.push(await sayHello(greeter, { name: 'Ada' }));
  t.same(ok.map((o) => o.status.code), [0, 0, 0]);
  for (let i = 0; i < 2; i += 1) t.equal((await sayHello(greeter, { name: '' })).status.code, grpc.status.INVALID_ARGUMENT);
  for (let i = 0; i < 2; i += 1) t.equal((await callUnknown(greeter)).code, grpc.status.UNIMPLEMENTED);
  // Two slow streams fill MAX_CONCURRENT_CALLS: one more call is shed (RESOURCE_EXHAUSTED); then their clients cancel them.
  const streams = [1, 2].map(() => greeter.LotsOfReplies({ name: 'Ada', count: 2, interval_ms: 60_000 }));
  streams.forEach((s) => s.on('error', () => {}));
  await eventually(() => server.inFlight().length === 2, 5000, 'two streams in flight');
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.RESOURCE_EXHAUSTED);
  streams.forEach((s) => s.cancel());
  await eventually(() => server.inFlight().length === 0, 5000, 'the cancelled streams to end');
  // DEADLINE_EXCEEDED: a SayHello whose request never comes, ended by REQUEST_TIMEOUT_MS.
  const session = await openSession(address);
  t.teardown(() => session.destroy());
  t.equal((await openStream(session, SAY_HELLO, undefined, false).ended).grpcStatus, grpc.status.DEADLINE_EXCEEDED);

  const calls = 3 + 2 + 2 + 2 + 1 + 1;
  await eventually(
    async () => (await scalar(prometheus, 'sum(grpc_server_call_duration_seconds_count)')) === calls,
    SCRAPE_TIMEOUT_MS,
    `Prometheus to have scraped ${calls} calls`,
    100,
  );

  const started = await prometheus.query('sum by (grpc_method) (grpc_server_call_started_total)');
  t.same(byLabels(started, ['grpc_method']), {
    [`grpc_method=${SAY_HELLO}`]: 7,
    [`grpc_method=${LOTS_OF_REPLIES}`]: 2,
    [`grpc_method=${OTHER_METHOD}`]: 2,
  });
  const ended = await prometheus.query('sum by (grpc_method, grpc_status) (grpc_server_call_duration_seconds_count)');
  t.same(byLabels(ended, ['grpc_method', 'grpc_status']), {
    [`grpc_method=${SAY_HELLO},grpc_status=OK`]: 3,
    [`grpc_method=${SAY_HELLO},grpc_status=INVALID_ARGUMENT`]: 2,
    [`grpc_method=${SAY_HELLO},grpc_status=RESOURCE_EXHAUSTED`]: 1,
    [`grpc_method=${SAY_HELLO},grpc_status=DEADLINE_EXCEEDED`]: 1,
    [`grpc_method=${LOTS_OF_REPLIES},grpc_status=CANCELLED`]: 2,
    [`grpc_method=${OTHER_METHOD},grpc_status=UNIMPLEMENTED`]: 2,
  });
  t.equal(await scalar(prometheus, 'sum(grpc_server_call_started_total)'), calls, 'as many calls started as ended');
  t.equal(
    await scalar(prometheus, 'sum(grpc_server_call_duration_seconds_bucket{le="+Inf"})'),
    calls,
    "the histogram's +Inf bucket holds every call",
  );

  // Message sizes: what the OK calls' requests and replies (a greeting and its sequence number) serialize to,
  // without gRPC's 5-byte prefix.
  const { requestSerialize, responseSerialize } = helloworld.Greeter.service.SayHello;
  const okSeries = `{grpc_method="${SAY_HELLO}",grpc_status="OK"}`;
  t.equal(await scalar(prometheus, `sum(grpc_server_call_rcvd_total_compressed_message_size_bytes_sum${okSeries})`), 3 * requestSerialize({ name: 'Ada' }).length);
  t.equal(await scalar(prometheus, `sum(grpc_server_call_sent_total_compressed_message_size_bytes_sum${okSeries})`), 3 * responseSerialize({ message: 'Hello, Ada!', sequence: 1 }).length);
  t.equal(await scalar(prometheus, `sum(grpc_server_call_sent_total_compressed_message_size_bytes_count${okSeries})`), 3);

  t.same(byLabels(await prometheus.query('cloudrun_grpc_server_calls_shed_total'), ['limit']), {
    'limit=MAX_CONCURRENT_CALLS': 1,
    'limit=MAX_HEALTH_WATCHES': 0,
  });
  t.same(byLabels(await prometheus.query('cloudrun_grpc_server_calls_ended_total'), ['bound']), {
    'bound=REQUEST_TIMEOUT_MS': 1,
    'bound=MEMORY_LIMIT_MIB': 0,
  });
  t.equal(await scalar(prometheus, 'cloudrun_grpc_server_calls_in_flight'), 0);
  t.equal(await scalar(prometheus, 'cloudrun_grpc_server_serving'), 1);

  // What docs/observability.md and its dashboard query is valid PromQL over series this server exports.
  const exposed = await (await fetch(`http://127.0.0.1:${server.metricsPort()}/metrics`)).text();
  for (const expr of documentedQueries()) {
    for (const name of expr.match(/\b(grpc|cloudrun_grpc)_server_\w+/g) ?? []) t.match(exposed, new RegExp(`^${name}[{ ]`, 'm'), `${name} is exported`);
    await t.resolves(prometheus.query(expr.replaceAll('$__rate_interval', '1m')), expr);
  }
});

/** The PromQL in docs/observability.md's promql blocks (queries apart by blank lines) and in its dashboard. */
function documentedQueries(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/observability.md'), 'utf8');
  const fromDoc = [...doc.matchAll(/^```promql\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1]!.trim().split(/\n\s*\n/));
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs/grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  return [...fromDoc, ...dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr))];
}

t.test('a call to a method the server does not have keeps grpc-js\'s UNIMPLEMENTED and writes an access line', async (t) => {
  const { client, logs } = await startServer(t);
  const error = await callUnknown(client());
  t.equal(error.code, grpc.status.UNIMPLEMENTED);
  t.equal(error.details, `The server does not implement the method ${UNKNOWN}`);
  await eventually(() => logs.some((l) => l.method === UNKNOWN), 5000, 'the access line');
  t.match(logs.find((l) => l.method === UNKNOWN), { code: 'UNIMPLEMENTED', severity: 'WARNING', details: /does not implement/ });
});

t.test('calls to methods the server does not have write at most BURST access lines, then one summary', async (t) => {
  const { client, logs } = await startServer(t);
  const greeter = client();
  const paths = Array.from({ length: 3 * BURST }, (_, i) => `/nowhere.Service${i}/Method`);
  const errors = await Promise.all(paths.map((path) => callUnknown(greeter, path)));
  t.same(new Set(errors.map((e) => e.code)), new Set([grpc.status.UNIMPLEMENTED]));
  t.equal(logs.filter((l) => paths.includes(l.method as string)).length, BURST, 'BURST lines, one per call');
  await eventually(() => logs.some((l) => l.not_logged !== undefined), 10_000, 'the summary line');
  t.match(logs.find((l) => l.not_logged !== undefined), { severity: 'WARNING', not_logged: 2 * BURST, message: /or a method it does not have/ });
});

t.test('METRICS_PORT taken by another process stops the server at start-up, naming the variable', async (t) => {
  const taken = await startServer(t, { METRICS_PORT: '0' });
  const metricsPort = String(taken.server.metricsPort());
  const child = spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: String(await freePort()), METRICS_PORT: metricsPort });
  t.same(await child.exited, { code: 1, signal: null });
  t.match(
    child.logs().filter((line) => line.severity === 'CRITICAL'),
    [{ message: new RegExp(`^METRICS_PORT: cannot serve metrics on 127\\.0\\.0\\.1 port ${metricsPort}: .*EADDRINUSE`) }],
  );
});

t.test('a free METRICS_PORT serves the text exposition at /metrics and nothing elsewhere', async (t) => {
  const port = await freePort();
  const { server } = await startServer(t, { METRICS_PORT: String(port) });
  t.equal(server.metricsPort(), port);
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /^# TYPE cloudrun_grpc_server_serving gauge$/m);
  t.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
});

t.test('a drain closes the metrics endpoint once the calls have ended', async (t) => {
  const { server } = await startServer(t, { METRICS_PORT: '0', SHUTDOWN_GRACE_MS: '1000' });
  const url = `http://127.0.0.1:${server.metricsPort()}/metrics`;
  t.equal((await fetch(url)).status, 200);
  await server.drain('test');
  await t.rejects(fetch(url), 'nothing listens on the metrics port');
});
