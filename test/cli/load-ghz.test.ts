// ghz's own usage examples (ghz.sh/docs/examples), written out as ghz users type them, against the interop
// TestService (INTEROP=on) instead of the Greeter of ghz's docs: each either runs, every call OK and seen by
// the server, or is refused naming the flag that differs. What changed from ghz's line is only the target,
// the method and its data (TestService's), the proto's path, --insecure for the examples that assume a TLS
// server, and -O json (added to read the report). Then each of ghz's flags taken here, as ghz means it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { main } from '../../src/cli.js';
import { parseLoadArgs } from '../../src/cli/load.js';
import type { LoadReport } from '../../src/load/report.js';
import { helloworld, PROTO_DIR } from '../../src/proto.js';
import { memoryIo } from '../helpers/cli.js';
import { createTestPki, opensslMissing, type TestPki } from '../helpers/pki.js';
import { startServer, type LogLine } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const PROTO = path.join(PROTO_DIR, 'grpc/testing/test.proto');
const UNARY = 'grpc.testing.TestService.UnaryCall';
const DATA = '{"response_size": 3}';

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = memoryIo(stdin);
  const code = await main(['load', ...args], io);
  return { code, ...output };
}

/** Files the examples name: the proto's FileDescriptorSet (as protoc -o writes it), a binary request, a config. */
function exampleFiles(dir: string, host: string) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
  root.loadSync(PROTO, { keepCase: true }).resolveAll();
  const protoset = path.join(dir, 'bundle.protoset');
  const set = (root as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor('proto3');
  writeFileSync(protoset, descriptor.FileDescriptorSet.encode(set).finish());
  const request = root.lookupType('grpc.testing.SimpleRequest');
  const binary = path.join(dir, 'hello_request_data.bin');
  writeFileSync(binary, request.encode(request.fromObject({ response_size: 3 })).finish());
  const config = path.join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({
    proto: PROTO, call: UNARY, n: 200, c: 5, d: { response_size: 3 },
    m: { foo: 'bar', trace_id: '{{.RequestNumber}}', timestamp: '{{.TimestampUnix}}' }, i: [PROTO_DIR], x: '2m', host, insecure: true,
  }));
  return { protoset, binary, config };
}

interface Example {
  readonly title: string;
  readonly args: (files: ReturnType<typeof exampleFiles>, host: string) => string[];
  /** The method whose calls the server must have seen, and how many. */
  readonly runs?: { method: string; calls: number };
  /** Refused: the message names the flag that differs. */
  readonly differs?: RegExp;
  readonly stdin?: 'binary';
}

const EXAMPLES: Example[] = [
  { title: 'a simple insecure unary call', args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', DATA, host], runs: { method: 'UnaryCall', calls: 200 } },
  { title: 'server reflection', args: (_f, host) => ['--insecure', '--call', UNARY, '-d', DATA, host], runs: { method: 'UnaryCall', calls: 200 } },
  {
    title: 'metadata using template variables',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', DATA, '-m', '{"trace_id":"{{.RequestNumber}}", "timestamp":"{{.TimestampUnix}}"}', host],
    runs: { method: 'UnaryCall', calls: 200 },
  },
  { title: 'binary data file', args: (f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-B', f.binary, host], runs: { method: 'UnaryCall', calls: 200 } },
  // ghz reads a piped stdin as binary data unasked; here -b asks for it (without it, stdin is not read).
  { title: 'binary from stdin (with -b)', args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-b', host], runs: { method: 'UnaryCall', calls: 200 }, stdin: 'binary' },
  { title: 'round-robin of messages', args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', '[{"response_size": 1},{"response_size": 2}]', host], runs: { method: 'UnaryCall', calls: 200 } },
  { title: 'custom number of requests and concurrency', args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', DATA, '-n', '2000', '-c', '20', host], runs: { method: 'UnaryCall', calls: 2000 } },
  {
    title: 'custom number of connections',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', DATA, '-n', '2000', '-c', '20', '--connections=10', host],
    runs: { method: 'UnaryCall', calls: 2000 },
  },
  {
    title: 'client streaming data as an array',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', 'grpc.testing.TestService.StreamingInputCall', '-d', '[{"payload":{"body":"AA=="}},{"payload":{"body":"AQ=="}},{"payload":{"body":"Ag=="}}]', host],
    runs: { method: 'StreamingInputCall', calls: 200 },
  },
  { title: 'protoset', args: (f, host) => ['--insecure', '--protoset', f.protoset, '--call', UNARY, '-d', DATA, '-n', '1000', '-c', '10', host], runs: { method: 'UnaryCall', calls: 1000 } },
  { title: 'config file', args: (f) => ['--config', f.config], runs: { method: 'UnaryCall', calls: 200 } },
  { title: 'config file with command-line arguments that win', args: (f) => ['--config', f.config, '-c', '20', '-n', '1000'], runs: { method: 'UnaryCall', calls: 1000 } },
  {
    title: 'debug logging',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', UNARY, '-d', DATA, '-c', '5', '-n', '50', '-m', '{"request-id":"{{.RequestNumber}}", "timestamp":"{{.TimestampUnix}}"}', '--debug', './logs/debug.json', host],
    differs: /--debug is ghz's; cloudrun-grpc does not take it: for every call's outcome, use --csv-calls/,
  },
  {
    title: 'client streaming with metadata',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', 'grpc.testing.TestService.StreamingInputCall', '-d', '[{"payload":{"body":"AA=="}},{"payload":{"body":"AQ=="}}]', '-m', '{"trace_id":"{{.RequestNumber}}", "timestamp":"{{.TimestampUnixNano}}"}', host],
    runs: { method: 'StreamingInputCall', calls: 200 },
  },
  {
    title: 'server streaming with metadata',
    args: (_f, host) => ['--insecure', '--proto', PROTO, '-i', PROTO_DIR, '--call', 'grpc.testing.TestService.StreamingOutputCall', '-d', '{"response_parameters":[{"size":1},{"size":2}]}', '-m', '{"trace_id":"{{.RequestNumber}}", "timestamp":"{{.TimestampUnixNano}}"}', host],
    runs: { method: 'StreamingOutputCall', calls: 200 },
  },
];

const linesOf = (logs: LogLine[], method: string): LogLine[] => logs.filter((l) => l.method === `/grpc.testing.TestService/${method}`);

for (const example of EXAMPLES) {
  t.test(`ghz's example "${example.title}" ${example.runs ? 'runs' : 'is refused naming the flag that differs'}`, async (t) => {
    const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
    const files = exampleFiles(temporaryDirectory(t, 'load-ghz-'), address);
    const stdin = example.stdin === 'binary' ? readFileSync(files.binary).toString('latin1') : '';
    const { code, stdout, stderr } = await cli([...example.args(files, address), ...(example.differs ? [] : ['-O', 'json'])], stdin);
    if (example.differs) {
      t.equal(code, 2);
      t.match(stderr, example.differs);
      return;
    }
    t.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as LoadReport;
    const { method, calls } = example.runs as { method: string; calls: number };
    t.same(report.statusCodeDistribution, { OK: calls });
    t.equal(linesOf(logs, method).length, calls, 'the server saw every call');
  });
}

const base = ['127.0.0.1:1'];
const plan = (args: string[]) => {
  const parsed = parseLoadArgs([...base, ...args], {});
  if (parsed === 'help') throw new Error('help');
  return parsed;
};

t.test('ghz\'s names for our flags land where ours do', async (t) => {
  const dir = temporaryDirectory(t, 'load-ghz-');
  const ca = path.join(dir, 'ca.pem');
  writeFileSync(ca, '');
  const { plan: p } = plan(['--cacert', ca, '-e', '--cpus', '1', '-t', '5', '--stream-call-count', '4', '--stream-interval', '20ms', '-O', 'pretty']);
  t.match(p, { connection: { caFile: ca, gzip: true }, deadlineMs: 5000, workers: 1, messages: 4, intervalMs: 20 });
  t.equal(plan(['--timeout', '250ms']).plan.deadlineMs, 250);
  t.equal(plan(['-t', '0']).plan.deadlineMs, 2_147_483_647, '0 is no deadline');
  t.equal(plan(['-O', 'pretty']).output.format, 'pretty');
});

t.test('no --total and no --duration is ghz\'s 200 calls; -x bounds --total by a time', async (t) => {
  t.same(plan([]).plan.stop, { total: 200 });
  t.same(plan(['-n', '50', '-x', '2s']).plan.stop, { total: 50, durationMs: 2000 });
  t.same(plan(['-z', '1s']).plan.stop, { durationMs: 1000 });
});

t.test('-m takes a JSON object, -M a file of one, beside KEY=VALUE', async (t) => {
  const dir = temporaryDirectory(t, 'load-ghz-');
  const file = path.join(dir, 'metadata.json');
  writeFileSync(file, '{"x-from-file": "f"}');
  const { plan: p } = plan(['-m', '{"x-team": "blue", "x-two": ["a", "b"]}', '--metadata', 'x-plain=p', '-M', file]);
  t.same(p.connection.metadata, [['x-team', 'blue'], ['x-two', 'a'], ['x-two', 'b'], ['x-plain', 'p'], ['x-from-file', 'f']]);
});

t.test('mutual TLS, the server name and skipping verification reach the connection', async (t) => {
  const { plan: p } = plan(['--cert', 'c.pem', '--key', 'k.pem', '--cname', 'greeter.internal', '--skipTLS', '--max-recv-message-size', '1024', '--max-send-message-size', '2048']);
  t.match(p.connection, { certFile: 'c.pem', keyFile: 'k.pem', serverName: 'greeter.internal', skipVerify: true, maxReceiveBytes: 1024, maxSendBytes: 2048 });
});

t.test('--name, --tags and --skipFirst are the plan\'s', async (t) => {
  const { plan: p } = plan(['--name', 'nightly', '--tags', '{"env": "staging"}', '--skipFirst', '10']);
  t.match(p, { name: 'nightly', tags: { env: 'staging' }, skipFirst: 10 });
});

const refusals: [string, string[], RegExp][] = [
  ['our flag and ghz\'s name for it', ['--gzip', '-e'], /--enable-compression is ghz's name for --gzip: give one of them/],
  ['--duration-stop close', ['-z', '1s', '--duration-stop', 'close'], /--duration-stop: "close" is not here: calls in flight when --duration ends always finish/],
  ['--cert without --key', ['--cert', 'c.pem'], /--cert needs --key/],
  ['-m that is not an object', ['-m', '["a"]'], /--metadata: give a JSON object/],
  ['a ghz flag not here', ['--async'], /--async is ghz's; cloudrun-grpc does not take it: .*--rps/],
  ['a ghz short flag not here', ['-q', '5'], /-q is ghz's; .*--rps/],
  ['--stream-call-duration', ['--stream-call-duration', '1s'], /--stream-call-duration is ghz's; .*--messages/],
  ['-x with --duration', ['-z', '1s', '-x', '2s'], /--max-duration bounds --total/],
];
for (const [what, args, message] of refusals) {
  t.test(`${what} is a usage error in our words`, async (t) => {
    t.throws(() => plan(args), message);
  });
}

t.test('--skipFirst leaves the first calls out of every figure, as warm-up calls', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
  const { code, stdout, stderr } = await cli([address, '--insecure', '--call', UNARY, '-d', DATA, '-n', '30', '--skipFirst', '10', '-O', 'json']);
  t.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as LoadReport;
  t.equal(report.count, 20);
  t.equal(report.warmupCalls, 10);
  t.equal(report.endReason, 'total');
  t.equal(linesOf(logs, 'UnaryCall').length, 30, 'the server saw all 30');
});

t.test('-x ends a run by time when --total is not reached first', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'info', INTEROP: 'on' });
  const { code, stdout } = await cli([address, '--insecure', '--call', UNARY, '-d', DATA, '-n', '100000000', '-x', '300ms', '--rps', '50', '-O', 'json']);
  t.equal(code, 0);
  const report = JSON.parse(stdout) as LoadReport;
  t.equal(report.endReason, 'duration');
  t.ok(report.count > 0 && report.count < 100, `${report.count} calls in 300 ms at 50/s`);
  t.same(report.options.durationMs, 300);
});

t.test('-o FILE\'s extension chooses the format when --format is not given', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'info' });
  const dir = temporaryDirectory(t, 'load-ghz-');
  for (const [file, looks] of [['r.htm', /^<!DOCTYPE html>/i], ['r.json', /^\{/], ['r.csv', /^second,/]] as const) {
    const { code } = await cli([address, '--insecure', '-n', '5', '-o', path.join(dir, file)]);
    t.equal(code, 0);
    t.match(readFileSync(path.join(dir, file), 'utf8'), looks, file);
  }
});

t.test('--name and --tags are in the report', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'info' });
  const { stdout } = await cli([address, '--insecure', '-n', '3', '--name', 'nightly', '--tags', '{"env":"ci"}', '-O', 'json']);
  const report = JSON.parse(stdout) as LoadReport;
  t.equal(report.name, 'nightly');
  t.same(report.tags, { env: 'ci' });
  const text = await cli([address, '--insecure', '-n', '3', '--name', 'nightly', '--tags', '{"env":"ci"}']);
  t.match(text.stdout, /^Name: nightly \(env=ci\)/);
});

for (const driver of ['http2', 'grpc-js']) {
  t.test(`--skipTLS accepts any certificate; --cname is the name it is checked against (${driver})`, { skip: opensslMissing }, async (t) => {
    const { caFile, certFile, keyFile } = createTestPki(t);
    const { address } = await startServer(t, { LOG_LEVEL: 'silent', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    const run = (args: string[]) => cli([address, '--driver', driver, '-n', '3', '-O', 'json', ...args]);
    const skipped = await run(['--skipTLS']);
    t.equal(skipped.code, 0, skipped.stderr);
    t.same((JSON.parse(skipped.stdout) as LoadReport).statusCodeDistribution, { OK: 3 });
    const named = await run(['--cacert', caFile, '--cname', 'localhost']);
    t.equal(named.code, 0, named.stderr);
    const wrongName = await run(['--cacert', caFile, '--cname', 'elsewhere.example']);
    t.equal(wrongName.code, 1, 'the certificate does not carry that name');
  });

  t.test(`--cert and --key present a client certificate to a server that requires one (${driver})`, { skip: opensslMissing }, async (t) => {
    const { caFile, certFile, keyFile } = createTestPki(t);
    const address = await startMutualTlsServer(t, { caFile, certFile, keyFile });
    const run = (args: string[]) => cli([address, '--driver', driver, '--cacert', caFile, '-n', '3', '-O', 'json', ...args]);
    const withCert = await run(['--cert', certFile, '--key', keyFile]);
    t.equal(withCert.code, 0, withCert.stderr);
    t.same((JSON.parse(withCert.stdout) as LoadReport).statusCodeDistribution, { OK: 3 });
    // Refused at the handshake (grpc-js: no connection, exit 1) or, with TLS 1.3, right after it (http2: every call fails).
    const without = await run([]);
    t.ok(without.code !== 0 || /warning: every call failed/.test(without.stderr), 'the server refuses a client without a certificate');
    t.notMatch(without.stdout, /"OK"/);
  });
}

/** A Greeter over TLS that requires a client certificate signed by `caFile`. */
async function startMutualTlsServer(t: Test, { caFile, certFile, keyFile }: TestPki): Promise<string> {
  const server = new grpc.Server();
  server.addService(helloworld.Greeter.service, {
    SayHello: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { message: 'hi' }),
  } as unknown as grpc.UntypedServiceImplementation);
  const credentials = grpc.ServerCredentials.createSsl(readFileSync(caFile), [{ cert_chain: readFileSync(certFile), private_key: readFileSync(keyFile) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  t.teardown(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

t.test('--max-recv-message-size fails a larger reply with RESOURCE_EXHAUSTED, in both drivers', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent', INTEROP: 'on' });
  for (const driver of ['http2', 'grpc-js']) {
    const { code, stdout } = await cli([address, '--insecure', '--driver', driver, '--call', UNARY, '-d', '{"response_size": 2000}', '-n', '2', '--max-recv-message-size', '1000', '-O', 'json']);
    t.equal(code, 0);
    t.same((JSON.parse(stdout) as LoadReport).statusCodeDistribution, { RESOURCE_EXHAUSTED: 2 }, driver);
  }
});

t.test('durations take Go\'s compound form too, as ghz writes them', async (t) => {
  t.same(plan(['-z', '1m30s']).plan.stop, { durationMs: 90_000 });
  t.throws(() => plan(['-z', '1m30']), /--duration: "1m30" is not a duration/);
});

t.test('a run in which every call failed warns on stderr and exits 0, as ghz; a gate makes it exit 1', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const warned = await cli([address, '--insecure', '-n', '3', '--payload-bytes', '2000000']);
  t.equal(warned.code, 0);
  t.match(warned.stderr, /warning: every call failed \(3\); the most common error: INVALID_ARGUMENT/);
  const gated = await cli([address, '--insecure', '-n', '3', '--payload-bytes', '2000000', '--fail-on-error-rate', '0']);
  t.equal(gated.code, 1);
});

// The http2 driver (the default) sees OpenSSL's reason; grpc-js only says it could not connect in time.
t.test('TLS spoken to a plaintext server gets the --insecure hint (http2 driver)', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { code, stderr } = await cli([address, '-n', '1']);
  t.equal(code, 1);
  t.match(stderr, /wrong version number[\s\S]*hint: the server speaks plaintext \(h2c\): add --insecure/);
});

t.test('-O influx-summary and -O prometheus give the totals in ghz\'s line formats', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const influx = await cli([address, '--insecure', '-n', '5', '--name', 'smoke test', '-O', 'influx-summary']);
  t.equal(influx.code, 0);
  t.match(influx.stdout, /^ghz_run,call=helloworld.Greeter\/SayHello,host=127.0.0.1:\d+,name=smoke\\ test count=5i,total=\d+i,average=\d+i,.*errors=0i,has_errors=false \d{19}\n$/);
  const prometheus = await cli([address, '--insecure', '-n', '5', '-O', 'prometheus']);
  t.equal(prometheus.code, 0);
  const samples = new Map(prometheus.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const at = line.lastIndexOf(' ');
    return [line.slice(0, at), Number(line.slice(at + 1))] as const;
  }));
  const count = [...samples].find(([name]) => name.startsWith('ghz_run_count{'))?.[1];
  const inf = [...samples].find(([name]) => name.includes('le="+Inf"'))?.[1];
  t.equal(count, 5);
  t.equal(inf, 5, 'the histogram\'s last bucket holds every call');
  const details = await cli([address, '--insecure', '-n', '1', '-O', 'influx-details']);
  t.equal(details.code, 2);
  t.match(details.stderr, /--format influx-details .* is not here: --csv-calls lists every call/);
});
