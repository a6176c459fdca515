import t from 'tap';
import { UsageError } from '../../src/cli/command.js';
import { loadCommand, parseLoadArgs } from '../../src/cli/load.js';
import { parseDuration } from '../../src/client/flags.js';

const base = ['127.0.0.1:1', '--total', '10'];

t.test('CLOUDRUN_GRPC_TOKEN is the token when --token is not given', async (t) => {
  const parsed = parseLoadArgs(base, { CLOUDRUN_GRPC_TOKEN: 'from-env' });
  if (parsed === 'help') return t.fail('help');
  t.same(parsed.plan.connection.auth, { kind: 'static', token: 'from-env' });
});

t.test('defaults: one call at a time over one connection, unary, 30 s deadline', async (t) => {
  const parsed = parseLoadArgs(base, {});
  t.not(parsed, 'help');
  if (parsed === 'help') return;
  t.match(parsed.plan, { target: '127.0.0.1:1', shape: 'unary', concurrency: 1, connections: 1, stop: { total: 10 }, rps: undefined, deadlineMs: 30_000, workers: 1 });
  t.same(parsed.thresholds, {});
  t.same(parsed.output, { format: 'summary', file: undefined, csvCalls: false });
});

t.test('every flag lands in the plan', async (t) => {
  const parsed = parseLoadArgs([
    'host', '--insecure', '--authority', 'a.example', '--metadata', 'x-team=blue', '--gzip', '--token', 'abc',
    '--shape', 'bidi', '-c', '8', '--connections', '4', '-z', '1.5m', '-r', '250.5', '--warmup', '500ms',
    '--deadline', '2s', '--messages', '3', '--interval-ms', '7', '--replies', '9', '--payload-bytes', '64', '--workers', '2',
    '--json', '--fail-on-error-rate', '1%', '--fail-on-p99-ms', '12.5', '--shard', '1/2',
  ], {});
  if (parsed === 'help') return t.fail('help');
  t.same(parsed.plan, {
    target: 'host', connection: { insecure: true, authority: 'a.example', auth: { kind: 'static', token: 'abc' }, metadata: [['x-team', 'blue']], gzip: true },
    driver: 'http2', connectTimeoutMs: 10_000, shape: 'bidi', concurrency: 8, connections: 4, stop: { durationMs: 90_000 }, rps: 250.5, warmupMs: 500,
    deadlineMs: 2000, messages: 3, intervalMs: 7, replies: 9, payloadBytes: 64, workers: 2, shard: { index: 1, of: 2 }, listCalls: 0,
  });
  t.same(parsed.thresholds, { errorRate: 0.01, p99Ms: 12.5 });
  t.same(parsed.output, { format: 'json', file: undefined, csvCalls: false });
});

t.test('the http2 driver by default; grpc-js when asked, and for targets only its resolvers understand', async (t) => {
  const driver = (args: string[]) => (parseLoadArgs([...args, '--total', '1'], {}) as { plan: { driver: string } }).plan.driver;
  t.equal(driver(['host:443']), 'http2');
  t.equal(driver(['dns:///host:443']), 'http2');
  t.equal(driver(['host:443', '--driver', 'grpc-js']), 'grpc-js');
  t.equal(driver(['xds:///greeter']), 'grpc-js');
  t.equal(driver(['unix:/tmp/greeter.sock', '--driver', 'http2']), 'grpc-js');
});

t.test('durations take ms, s, m and h', async (t) => {
  t.equal(parseDuration('duration', '250ms'), 250);
  t.equal(parseDuration('duration', '2s'), 2000);
  t.equal(parseDuration('duration', '1h'), 3_600_000);
});

t.test('--help asks for the usage text', async (t) => {
  t.equal(parseLoadArgs(['--help'], {}), 'help');
});

const mistakes: [string, string[], RegExp][] = [
  ['no target', ['--total', '1'], /one target/],
  ['two targets', ['a', 'b', '--total', '1'], /one target/],
  ['both --total and --duration', ['a', '--total', '1', '--duration', '1s'], /not both/],
  ['an unknown shape', [...base, '--shape', 'duplex'], /--shape: "duplex" is not one of unary, server, client, bidi/],
  ['a concurrency of zero', [...base, '-c', '0'], /--concurrency: "0" is not a whole number of at least 1/],
  ['a fractional total', ['a', '--total', '1.5'], /--total/],
  ['a duration without a unit', ['a', '--duration', '30'], /--duration: "30" is not a duration/],
  ['a negative rate', [...base, '--rps=-5'], /--rps: "-5" is not a number above 0/],
  ['an empty rate', [...base, '--rps', ''], /--rps/],
  ['a zero deadline', [...base, '--deadline', '0s'], /--deadline: must be above 0/],
  ['more connections than concurrency', [...base, '--connections', '2'], /--connections \(2\) cannot exceed --concurrency \(1\)/],
  ['more workers than connections', [...base, '-c', '4', '--connections', '2', '--workers', '3'], /--workers \(3\) cannot exceed --connections \(2\)/],
  ['an error rate above 1', [...base, '--fail-on-error-rate', '2'], /--fail-on-error-rate: "2" is not a rate from 0 to 1/],
  ['an error rate above 100 %', [...base, '--fail-on-error-rate', '150%'], /--fail-on-error-rate/],
  ['an unknown flag', [...base, '--qps', '5'], /qps/],
  ['an unknown driver', [...base, '--driver', 'curl'], /--driver: "curl" is not one of http2, grpc-js/],
  ['a zero connect timeout', [...base, '--connect-timeout', '0s'], /--connect-timeout: must be above 0/],
];

for (const [what, args, message] of mistakes) {
  t.test(`${what} is a usage error that says what to fix`, async (t) => {
    t.throws(() => parseLoadArgs(args, {}), message);
    t.throws(() => parseLoadArgs(args, {}), UsageError);
  });
}

t.test('the command prints its usage for --help and exits 0', async (t) => {
  let out = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const code = await loadCommand.run(['--help'], { stdin: process.stdin, stdout, stderr: stdout, env: {} });
  t.equal(code, 0);
  t.match(out, /Usage: cloudrun-grpc load <target>/);
  t.match(out, /--fail-on-p99-ms/);
});
