// The load command against the real server on 127.0.0.1:0, in this process.
import t from 'tap';
import type { LogLine } from '../helpers/server.js';
import { closedPort } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { DRIVERS } from '../../src/load/plan.js';
import { startBareServer } from '../load/bare-server.js';
import { runCommand, runJson } from './run-load.js';

const METHODS = {
  unary: '/helloworld.Greeter/SayHello',
  server: '/helloworld.Greeter/LotsOfReplies',
  client: '/helloworld.Greeter/LotsOfGreetings',
  bidi: '/helloworld.Greeter/BidiHello',
} as const;

const accessLines = (logs: LogLine[], method: string): LogLine[] => logs.filter((l) => l.method === method);

/** Every field the README documents for the JSON report. */
const REPORT_FIELDS = [
  'date', 'target', 'shape', 'options', 'endReason', 'count', 'elapsedMs', 'rps', 'errors', 'errorRate',
  'messagesSent', 'messagesReceived', 'messagesSentPerSecond', 'messagesReceivedPerSecond', 'latencyMs',
  'latencyMeasuredFrom', 'histogram', 'statusCodeDistribution', 'errorDistribution', 'rate', 'warmupCalls',
  'gates', 'hdrHistogram', 'generator', 'timeSeries', 'missingShards', 'name', 'tags',
];

for (const [driver, shape] of DRIVERS.flatMap((d) => (Object.keys(METHODS) as (keyof typeof METHODS)[]).map((s) => [d, s] as const))) {
  t.test(`--total 500 makes exactly 500 ${shape} calls with the ${driver} driver, and the server saw 500`, async (t) => {
    const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
    const { code, report } = await runJson(address, ['--driver', driver, '--shape', shape, '--total', '500', '-c', '8', '--connections', '2', '--messages', '3', '--replies', '4']);
    t.equal(code, 0);
    t.equal(report.count, 500);
    t.same(report.statusCodeDistribution, { OK: 500 });
    t.equal(report.endReason, 'total');
    const lines = accessLines(logs, METHODS[shape]);
    t.equal(lines.length, 500, 'one access-log line per call');
    t.ok(lines.every((l) => l.code === 'OK'));
    const expected = { unary: [1, 1], server: [1, 4], client: [3, 1], bidi: [3, 3] }[shape];
    t.equal(report.messagesSent, 500 * expected[0]!);
    t.equal(report.messagesReceived, 500 * expected[1]!);
    t.equal(lines.reduce((n, l) => n + (l.messages_in as number), 0), report.messagesSent, 'the server received what we sent');
  });
}

for (const workers of ['1', '2']) {
  t.test(`-n 10000 is exactly 10000 calls at the server, with --workers ${workers}`, async (t) => {
    const { address, metadata } = await startBareServer(t);
    const { code, report } = await runJson(address, ['-n', '10000', '-c', '16', '--connections', '4', '--workers', workers]);
    t.equal(code, 0);
    t.equal(report.count, 10000);
    t.same(report.statusCodeDistribution, { OK: 10000 });
    t.equal(metadata.length, 10000, 'the server answered 10000 calls');
    t.equal(report.generator.threads.length, Number(workers), "one usage figure per thread");
  });
}

t.test('the JSON report has every documented field', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--total', '20', '--fail-on-error-rate', '0']);
  t.same(Object.keys(report).sort(), [...REPORT_FIELDS].sort());
  t.same(Object.keys(report.latencyMs).sort(), ['max', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p999', 'stdDev']);
  t.same(Object.keys(report.options).sort(), [
    'call', 'concurrency', 'concurrencySchedule', 'connectTimeoutMs', 'connections', 'deadlineMs', 'driver', 'durationMs', 'intervalMs', 'loadSchedule',
    'messages', 'payloadBytes', 'replies', 'rps', 'shard', 'skipFirst', 'total', 'warmupMs', 'workers',
  ]);
  t.equal(report.options.call, 'helloworld.Greeter/SayHello');
  t.same(Object.keys(report.generator).sort(), ['coresUsed', 'cpuMs', 'cpuUsPerCall', 'driver', 'saturated', 'threads', 'wallMs']);
  t.same(Object.keys(report.timeSeries[0] ?? {}).sort(), ['completed', 'coveredMs', 'errors', 'hdrHistogram', 'latencyMs', 'second', 'started']);
  t.equal(report.rate, null, 'no rate section without --rps');
  t.equal(report.latencyMeasuredFrom, 'call start');
  t.same(report.gates, [{ gate: 'error-rate', threshold: 0, actual: 0, passed: true }]);
  t.equal(report.histogram.reduce((n, b) => n + b.count, 0), 20);
});

t.test('errors from the server show in the status-code distribution, with their message', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  // The server refuses replies above 1 MiB with INVALID_ARGUMENT.
  const { code, report } = await runJson(address, ['--total', '30', '--payload-bytes', '2000000']);
  t.equal(code, 0, 'errors alone do not fail the run without a gate');
  t.same(report.statusCodeDistribution, { INVALID_ARGUMENT: 30 });
  t.equal(report.errors, 30);
  t.equal(report.errorRate, 1);
  t.match(Object.keys(report.errorDistribution), [/^INVALID_ARGUMENT: response_size is 2000000; the maximum is 1048576$/]);
});

t.test('a streaming shape against a server with streaming off reports UNIMPLEMENTED', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent', STREAMING: 'off' });
  const { report } = await runJson(address, ['--shape', 'bidi', '--total', '10', '-c', '2', '--connections', '2']);
  t.same(report.statusCodeDistribution, { UNIMPLEMENTED: 10 });
});

t.test('a client stream that the server fails mid-stream stops sending and reports the error', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--shape', 'client', '--total', '4', '--messages', '50', '--interval-ms', '5', '--payload-bytes', '2000000']);
  t.same(report.statusCodeDistribution, { INVALID_ARGUMENT: 4 });
  t.ok(report.messagesSent < 4 * 50, 'no call sent all its messages');
});

t.test('large streamed messages are sent under flow control, paced by --interval-ms', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const client = await runJson(address, ['--shape', 'client', '--total', '4', '-c', '2', '--messages', '20', '--payload-bytes', '500000']);
  t.same(client.report.statusCodeDistribution, { OK: 4 });
  t.equal(client.report.messagesSent, 80);
  const bidi = await runJson(address, ['--shape', 'bidi', '--total', '4', '--messages', '3', '--interval-ms', '2']);
  t.equal(bidi.report.messagesReceived, 12);
  const server = await runJson(address, ['--shape', 'server', '--total', '2', '--replies', '3', '--interval-ms', '2']);
  t.equal(server.report.messagesReceived, 6);
});

t.test('duration mode stops by itself', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { code, report } = await runJson(address, ['--duration', '300ms', '-c', '4', '--connections', '2']);
  t.equal(code, 0);
  t.equal(report.endReason, 'duration');
  t.equal(report.options.durationMs, 300);
  t.ok(report.count > 0);
});

t.test('with --rps, latency is measured from the scheduled start and the achieved rate is reported', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--total', '40', '--rps', '400', '-c', '4', '--connections', '2']);
  t.equal(report.count, 40);
  t.equal(report.latencyMeasuredFrom, 'scheduled start');
  t.equal(report.rate?.askedRps, 400);
  t.ok(report.rate!.achievedRps > 0);
  t.ok(report.rate!.shortfall >= 0 && report.rate!.shortfall <= 1);
  t.ok(report.rate!.maxStartLagMs >= 0);
});

t.test('with --rps, time spent waiting behind a slow server counts as latency (no coordinated omission)', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  // Due every 10 ms, but each call takes at least 50 ms (two replies 50 ms apart) and only one may be in flight:
  // the sixth call is due at 50 ms, cannot start before 250 ms and cannot end before 300 ms.
  const { report } = await runJson(address, ['--shape', 'server', '--replies', '2', '--interval-ms', '50', '--rps', '100', '--total', '6']);
  t.equal(report.count, 6);
  t.ok(report.latencyMs.max >= 250, `the last call's latency (${report.latencyMs.max} ms) includes its wait`);
  t.ok(report.rate!.maxStartLagMs >= 200, 'it started at least 200 ms late');
  t.ok(report.rate!.shortfall > 0.5, 'the achieved rate fell far short of 100/s');
});

t.test('with --rps and --duration, calls still due when the time is up are not made, and count as shortfall', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--shape', 'server', '--replies', '2', '--interval-ms', '100', '--rps', '100', '--duration', '200ms']);
  t.equal(report.endReason, 'duration');
  t.ok(report.count <= 3, `${report.count} calls of 100 ms each, one at a time, within 200 ms (and the one in flight)`);
  t.ok(report.rate!.shortfall > 0.5);
});

t.test('a warm-up runs first and is left out of the figures', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const { report } = await runJson(address, ['--total', '50', '--warmup', '100ms']);
  t.equal(report.count, 50);
  t.ok(report.warmupCalls > 0);
  t.equal(accessLines(logs, METHODS.unary).length, 50 + report.warmupCalls, 'the server saw both');
});

t.test('--connections opens that many separate connections', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  await runJson(address, ['--total', '60', '-c', '6', '--connections', '3']);
  t.equal(new Set(accessLines(logs, METHODS.unary).map((l) => l.peer)).size, 3, 'three client ports');
});

t.test('--workers splits the calls over threads and merges their results exactly', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const { code, report } = await runJson(address, ['--total', '501', '-c', '4', '--connections', '3', '--workers', '3', '--rps', '2000', '--warmup', '50ms']);
  t.equal(code, 0);
  t.equal(report.count, 501);
  t.equal(report.histogram.reduce((n, b) => n + b.count, 0), 501);
  t.equal(accessLines(logs, METHODS.unary).length, 501 + report.warmupCalls);
  t.equal(new Set(accessLines(logs, METHODS.unary).map((l) => l.peer)).size, 3);
});

t.test('a --fail-on gate that trips makes the exit code 1 and says so', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const run = await runCommand([address, '--insecure', '--total', '10', '--payload-bytes', '2000000', '--fail-on-error-rate', '5%', '--fail-on-p99-ms', '60000']);
  t.equal(run.code, 1);
  t.match(run.stdout, /FAIL {2}error rate 100 % \(limit 5 %\)/);
  t.match(run.stdout, /pass {2}p99 [\d.]+ ms \(limit 60000 ms\)/);
  t.match(run.stdout, /\[INVALID_ARGUMENT\]\t10 calls/);
});

t.test('the text report shows throughput, percentiles, the histogram and the rate', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const run = await runCommand([address, '--insecure', '--total', '30', '--rps', '300', '--warmup', '20ms', '-c', '2', '--connections', '2', '--workers', '2']);
  t.equal(run.code, 0);
  t.match(run.stdout, /Load test: unary on 127\.0\.0\.1:\d+; 2 in flight over 2 connection\(s\) from 2 workers/);
  t.match(run.stdout, /Calls: +30, [\d.]+ calls\/s; 0 errors \(0 %\)/);
  t.match(run.stdout, /Rate: +asked 300\/s, achieved [\d.]+\/s/);
  t.match(run.stdout, /p50 [\d.]+ +p90 [\d.]+ +p95 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+/);
  t.match(run.stdout, /Latency histogram/);
  t.match(run.stdout, /plus \d+ warm-up calls/);
  t.equal(run.stderr, '', 'no progress when stderr is not a terminal');
});

t.test('a generator with time to spare reports its cost and does not warn', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const run = await runCommand([address, '--insecure', '--duration', '1s', '--rps', '20']);
  t.equal(run.code, 0);
  t.match(run.stdout, /Generator: +http2 driver, [\d.]+ µs CPU per call, [\d.]+ cores; event loop busy [\d.]+/);
  t.notMatch(run.stdout, /bottleneck/);
});

t.test('progress goes to stderr when it is a terminal', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const single = await runCommand([address, '--insecure', '--duration', '1100ms', '--warmup', '1100ms'], { tty: true });
  t.match(single.stderr, /warming up/);
  t.match(single.stderr, /\d+ calls, \d+\/s, 0 errors/);
  const workers = await runCommand([address, '--insecure', '--duration', '1100ms', '--warmup', '1100ms', '-c', '2', '--connections', '2', '--workers', '2'], { tty: true });
  t.match(workers.stderr, /warming up/);
  t.match(workers.stderr, /\d+ calls, \d+\/s, 0 errors/);
});

t.test('an unreadable --ca-file is a usage error (exit code 2, as in the call commands) naming the file', async (t) => {
  await t.rejects(runCommand(['127.0.0.1:1', '--total', '1', '--ca-file', '/nonexistent/ca.pem']), {
    name: 'UsageError',
    message: /--ca-file: cannot read the CA file "\/nonexistent\/ca\.pem"/,
  });
});

t.test('the token from CLOUDRUN_GRPC_TOKEN reaches the server on every call', async (t) => {
  const { address, metadata } = await startBareServer(t);
  const run = await runCommand([address, '--insecure', '--total', '5', '-c', '2', '--connections', '2', '--workers', '2'], {
    env: { CLOUDRUN_GRPC_TOKEN: 'from-the-environment' },
  });
  t.equal(run.code, 0);
  t.same(metadata.map((m) => m.get('authorization')), Array(5).fill(['Bearer from-the-environment']));
});

t.test('a bidi stream whose deadline passes between messages ends with DEADLINE_EXCEEDED', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--shape', 'bidi', '--total', '2', '--messages', '3', '--interval-ms', '150', '--deadline', '50ms']);
  t.same(report.statusCodeDistribution, { DEADLINE_EXCEEDED: 2 });
  t.equal(report.messagesReceived, 2, 'one reply each before the deadline');
  await new Promise((resolve) => setTimeout(resolve, 200)); // the paused send wakes up to a finished call
});

t.test('nothing listening: exit 1 at once, naming ECONNREFUSED, with a JSON error object on stdout under --json', async (t) => {
  const port = await closedPort();
  const target = `127.0.0.1:${port}`;
  const startedAt = Date.now();
  const single = await runCommand([target, '--insecure', '--total', '1', '--json']);
  t.equal(single.code, 1);
  t.match(single.stderr, /cloudrun-grpc load: cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  t.match(JSON.parse(single.stdout), { error: { code: 'ECONNREFUSED', target, message: /ECONNREFUSED/ } });
  const workers = await runCommand([target, '--insecure', '--total', '1', '-c', '2', '--connections', '2', '--workers', '2']);
  t.equal(workers.code, 1);
  t.match(workers.stderr, /ECONNREFUSED/);
  t.ok(Date.now() - startedAt < 10_000, 'well within the 10 s connect timeout, not the 30 s deadline');
});

t.test('with --driver grpc-js, nothing listening fails within --connect-timeout, whatever the deadline', async (t) => {
  const port = await closedPort();
  const run = await runCommand([`127.0.0.1:${port}`, '--insecure', '--total', '1', '--driver', 'grpc-js', '--connect-timeout', '300ms', '--deadline', '1h']);
  t.equal(run.code, 1);
  t.match(run.stderr, /cannot connect to 127\.0\.0\.1:\d+ within 300 ms \(--connect-timeout\)/);
});

t.test('a deadline of a few milliseconds does not stop the run from connecting', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  for (const driver of ['http2', 'grpc-js']) {
    const { code, report } = await runJson(address, ['--total', '20', '--deadline', '2ms', '--driver', driver]);
    t.equal(code, 0, driver);
    t.equal(report.count, 20, driver);
  }
});

t.test('SIGINT stops an in-process run with workers and reports what was measured', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const running = runJson(address, ['--duration', '60s', '-c', '2', '--connections', '2', '--workers', '2']);
  const deadline = Date.now() + 10_000;
  while (accessLines(logs, METHODS.unary).length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300)); // a few progress reports from the workers
  process.emit('SIGINT');
  const { code, report } = await running;
  t.equal(code, 130);
  t.equal(report.endReason, 'interrupted');
  t.ok(report.count > 0);
});

