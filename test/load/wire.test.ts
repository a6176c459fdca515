// The wire-level driver (the default) over real sockets: against a bare grpc-js
// Greeter, the project's server, and a hand-framed node:http2 server for the
// replies grpc-js does not send on request.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { DEFAULTS, type LoadPlan } from '../../src/load/plan.js';
import { openLoad } from '../../src/load/runner.js';
import { GREETER_SERVICE, packageDefinition } from '../../src/proto.js';
import { runCommand, runJson } from '../cli/run-load.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';
import { startBareServer } from './bare-server.js';
import { frame, GRPC_HEADERS, startRawServer } from './raw-server.js';

const codec = (packageDefinition[GREETER_SERVICE] as unknown as Record<string, { responseSerialize: (reply: object) => Buffer }>).SayHello!;
const reply = (sequence: number): Buffer => codec.responseSerialize({ message: 'Hello', sequence });

/** Needs percent-encoding three ways: non-ASCII, a literal %, a newline. */
const AWKWARD = 'ünïcødé — 100% sûr\nsecond line';

t.test('every status code arrives with its message percent-decoded', async (t) => {
  let code = grpc.status.OK;
  const { address } = await startBareServer(t, {
    SayHello: (_call, callback) => callback({ code, details: AWKWARD }),
  });
  for (code = 1; code <= 16; code += 1) {
    const { report } = await runJson(address, ['--total', '2']);
    const name = grpc.status[code] as string;
    t.same(report.statusCodeDistribution, { [name]: 2 }, name);
    t.same(report.errorDistribution, { [`${name}: ${AWKWARD}`]: 2 }, name);
  }
});

t.test('a trailers-only reply (the status in the only headers) ends the call with that status', async (t) => {
  const { address } = await startRawServer(t, (stream) =>
    stream.respond({ ...GRPC_HEADERS, 'grpc-status': '7', 'grpc-message': 'no%20entry%0Ahere' }, { endStream: true }),
  );
  const { report } = await runJson(address, ['--total', '3']);
  t.same(report.statusCodeDistribution, { PERMISSION_DENIED: 3 });
  t.same(report.errorDistribution, { 'PERMISSION_DENIED: no entry\nhere': 3 });
});

t.test('a reply that is not HTTP 200 is mapped as gRPC says (503 → UNAVAILABLE)', async (t) => {
  const { address } = await startRawServer(t, (stream) => stream.respond({ ':status': 503 }, { endStream: true }));
  const { report } = await runJson(address, ['--total', '2']);
  t.same(report.statusCodeDistribution, { UNAVAILABLE: 2 });
});

t.test('many small messages in one DATA frame are each counted', async (t) => {
  const { address } = await startRawServer(t, (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(reply(i + 1)))));
  });
  const { report } = await runJson(address, ['--shape', 'server', '--total', '5']);
  t.same(report.statusCodeDistribution, { OK: 5 });
  t.equal(report.messagesReceived, 500);
});

t.test('a message split across writes, a byte at a time at its edges, is read whole', async (t) => {
  const { address } = await startRawServer(t, (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const bytes = Buffer.concat([frame(reply(1)), frame(reply(2))]);
    const cuts = [0, 1, 3, 6, bytes.length - 2, bytes.length];
    const next = (i: number): void => {
      if (i === cuts.length - 1) return void stream.end();
      stream.write(bytes.subarray(cuts[i], cuts[i + 1]), () => setImmediate(next, i + 1));
    };
    next(0);
  });
  const { report } = await runJson(address, ['--shape', 'server', '--total', '3']);
  t.same(report.statusCodeDistribution, { OK: 3 });
  t.equal(report.messagesReceived, 6);
});

t.test('a 1 MiB reply, split across many DATA frames, is one message', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--total', '4', '-c', '2', '--payload-bytes', '1048576']);
  t.same(report.statusCodeDistribution, { OK: 4 });
  t.equal(report.messagesReceived, 4);
});

t.test('the deadline goes out as grpc-timeout', async (t) => {
  const { address, requests } = await startRawServer(t, (stream) =>
    stream.respond({ ...GRPC_HEADERS, 'grpc-status': '0' }, { endStream: true }),
  );
  await runJson(address, ['--total', '1', '--deadline', '1500ms']);
  t.equal(requests[0]?.headers['grpc-timeout'], '1500m');
});

t.test('the server enforces the deadline it was sent: DEADLINE_EXCEEDED is counted', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const { report } = await runJson(address, ['--shape', 'server', '--replies', '5', '--interval-ms', '100', '--deadline', '150ms', '--total', '4', '-c', '2']);
  t.same(report.statusCodeDistribution, { DEADLINE_EXCEEDED: 4 });
  t.equal(Object.keys(report.errorDistribution).length, 1, 'one group, whatever timings the texts carry');
});

t.test('a server that never answers: the client ends the call at its deadline, DEADLINE_EXCEEDED', async (t) => {
  const { address } = await startRawServer(t, () => {});
  const { report } = await runJson(address, ['--total', '3', '-c', '3', '--deadline', '100ms']);
  t.same(report.statusCodeDistribution, { DEADLINE_EXCEEDED: 3 });
  t.ok(report.latencyMs.min >= 99, `no call ended before its deadline (fastest ${report.latencyMs.min} ms)`);
});

t.test('each call gets its whole deadline, however far into an earlier call’s it starts', async (t) => {
  // The first call is answered at 150 ms of its 300 ms deadline; the second, never: it ends at 300 ms of its own.
  let calls = 0;
  const { address } = await startRawServer(t, (stream) => {
    calls += 1;
    if (calls > 1) return;
    setTimeout(() => {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(reply(1)));
    }, 150);
  });
  const { report } = await runJson(address, ['--total', '2', '--deadline', '300ms']);
  t.same(report.statusCodeDistribution, { OK: 1, DEADLINE_EXCEEDED: 1 });
  t.ok(report.latencyMs.max >= 299, `the second call ran its whole deadline (slowest ${report.latencyMs.max} ms)`);
});

t.test('--gzip compresses each request; a gzip reply is read', async (t) => {
  const { address, requests } = await startRawServer(t, (stream) => {
    stream.respond({ ...GRPC_HEADERS, 'grpc-encoding': 'gzip' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame(gzipSync(reply(1)), true));
  });
  const { report } = await runJson(address, ['--total', '2', '--gzip', '--payload-bytes', '1000']);
  t.same(report.statusCodeDistribution, { OK: 2 });
  t.equal(report.messagesReceived, 2);
  const { headers, body } = requests[0]!;
  t.equal(headers['grpc-encoding'], 'gzip');
  t.equal(body[0], 1, 'the compressed flag is set');
  t.equal(body.readUInt32BE(1), body.length - 5);
  t.ok(gunzipSync(body.subarray(5)).length > 1000, 'the message inflates to the request with its payload');
});

t.test('--gzip against grpc-js: every shape succeeds, requests compressed and replies read', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  for (const shape of ['unary', 'server', 'client', 'bidi']) {
    const { report } = await runJson(address, ['--gzip', '--shape', shape, '--total', '10', '--messages', '3', '--replies', '3', '--payload-bytes', '2000']);
    t.same(report.statusCodeDistribution, { OK: 10 }, shape);
  }
});

t.test('a compressed reply without grpc-encoding is refused as INTERNAL', async (t) => {
  const { address } = await startRawServer(t, (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame(gzipSync(reply(1)), true));
  });
  const { report } = await runJson(address, ['--total', '1']);
  t.same(report.statusCodeDistribution, { INTERNAL: 1 });
});

t.test('--metadata reaches the server as grpc-js sends it: text, repeated keys, -bin values (base64 on the command line)', async (t) => {
  const { address, metadata } = await startBareServer(t);
  const flags = ['--total', '1', '--metadata', 'x-team=blue', '--metadata', 'x-team=green', '--metadata', 'x-trace-bin=AAEC/w=='];
  await runJson(address, flags);
  await runJson(address, [...flags, '--driver', 'grpc-js']);
  const [wire, grpcJs] = metadata;
  t.same(wire!.get('x-trace-bin'), [Buffer.from([0, 1, 2, 255])]);
  t.same(wire!.get('x-team'), grpcJs!.get('x-team'), 'repeated keys arrive as they do from grpc-js');
  t.match(String(wire!.get('x-team')), /blue.*green/);
});

t.test('TLS with a private CA (--ca-file) and --authority as the server name', { skip: opensslMissing }, async (t) => {
  const { caFile, certFile, keyFile } = createTestPki(t);
  const { address } = await startServer(t, { LOG_LEVEL: 'silent', TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
  const trusted = await runCommand([address, '--ca-file', caFile, '--authority', 'localhost', '--total', '5', '--json']);
  t.equal(trusted.code, 0);
  t.same(JSON.parse(trusted.stdout).statusCodeDistribution, { OK: 5 });
  const untrusted = await runCommand([address, '--authority', 'localhost', '--total', '1', '--json']);
  t.equal(untrusted.code, 1, 'without the CA the certificate is not trusted');
  t.match(untrusted.stderr, /cannot connect to 127\.0\.0\.1:\d+: .*(self.signed|unable to (get|verify))/i);
  const wrongName = await runCommand([address, '--ca-file', caFile, '--authority', 'elsewhere.example', '--total', '1']);
  t.equal(wrongName.code, 1, '--authority is the name the certificate must carry');
  t.match(wrongName.stderr, /elsewhere\.example/);
});

t.test(':authority is --authority, or the target host and port', async (t) => {
  const { address, requests } = await startRawServer(t, (stream) =>
    stream.respond({ ...GRPC_HEADERS, 'grpc-status': '0' }, { endStream: true }),
  );
  await runJson(address, ['--total', '1']);
  await runJson(address, ['--total', '1', '--authority', 'hello.default.example.com']);
  t.same(requests.map((r) => r.headers[':authority']), [address, 'hello.default.example.com']);
  t.same(requests.map((r) => r.headers[':path']), ['/helloworld.Greeter/SayHello', '/helloworld.Greeter/SayHello']);
  t.equal(requests[0]!.headers['content-type'], 'application/grpc');
  t.equal(requests[0]!.headers.te, 'trailers');
});

t.test('a unary or client-streaming call that ends OK without its reply is UNIMPLEMENTED "No message received", as grpc-js has it', async (t) => {
  const { address } = await startRawServer(t, (stream) => stream.respond({ ...GRPC_HEADERS, 'grpc-status': '0' }, { endStream: true }));
  for (const driver of ['http2', 'grpc-js']) {
    for (const shape of ['unary', 'client']) {
      const { report } = await runJson(address, ['--driver', driver, '--shape', shape, '--total', '2', '--messages', '2']);
      t.same(report.statusCodeDistribution, { UNIMPLEMENTED: 2 }, `${shape}, ${driver}`);
      t.same(report.errorDistribution, { 'UNIMPLEMENTED: No message received': 2 }, `${shape}, ${driver}`);
    }
    // A server stream may end with no reply at all.
    const { report } = await runJson(address, ['--driver', driver, '--shape', 'server', '--total', '2']);
    t.same(report.statusCodeDistribution, { OK: 2 }, `server, ${driver}`);
  }
});

t.test('a unary call answered twice is UNIMPLEMENTED "Too many responses received", as grpc-js has it', async (t) => {
  const { address } = await startRawServer(t, (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.concat([frame(reply(1)), frame(reply(2))]));
  });
  // grpc-js's own text; its client (1.14) cancels such a call but then waits out the deadline, so it is not run here.
  const { report } = await runJson(address, ['--total', '2']);
  t.same(report.errorDistribution, { 'UNIMPLEMENTED: Too many responses received': 2 });
});

interface ReconnectTrap {
  readonly address: string;
  /** Resolves when the second connection (the reconnect) arrives: it is held, never answered, so the reconnect hangs. */
  readonly held: Promise<Socket>;
}

/**
 * A TLS gRPC server that answers one call on the first connection, sending GOAWAY before the reply, and
 * holds every later connection without a TLS handshake: the driver's reconnect waits for its connect timeout.
 */
async function startReconnectTrap(t: Test): Promise<ReconnectTrap> {
  const { certFile, keyFile, caFile } = createTestPki(t);
  const secure = http2.createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  secure.on('stream', (stream) => {
    stream.session?.close();
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame(reply(1)));
  });
  const sockets: Socket[] = [];
  let onHeld: (socket: Socket) => void = () => {};
  const held = new Promise<Socket>((resolve) => (onHeld = resolve));
  const tcp = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    if (sockets.length === 1) secure.emit('connection', socket);
    else onHeld(socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sockets.forEach((socket) => socket.destroy());
    tcp.close();
  });
  trapCa = caFile;
  return { address: `127.0.0.1:${(tcp.address() as { port: number }).port}`, held };
}
let trapCa = '';

const trapPlan = (address: string, overrides: Partial<LoadPlan> & Pick<LoadPlan, 'stop'>): LoadPlan => ({
  ...DEFAULTS,
  target: address,
  connection: { caFile: trapCa },
  shape: 'unary',
  concurrency: 1,
  connections: 1,
  rps: undefined,
  connectTimeoutMs: 10_000,
  ...overrides,
});

t.test('stop() during a reconnect ends the waiting call at once, not at the connect timeout', { skip: opensslMissing }, async (t) => {
  const { address, held } = await startReconnectTrap(t);
  const load = await openLoad(trapPlan(address, { stop: { total: 100 } }));
  t.teardown(() => load.close());
  const run = load.start();
  const socket = await held;
  run.stop();
  const result = await run.finished;
  t.equal(result.interrupted, true);
  t.same(result.tally.codes, { OK: 1 }, 'the call that waited for the connection is left out');
  t.equal(socket.destroyed, false, 'the run ended while the reconnect was still waiting');
});

t.test('the deadline covers a wait for a reconnect: DEADLINE_EXCEEDED, as grpc-js counts it', { skip: opensslMissing }, async (t) => {
  const { address, held } = await startReconnectTrap(t);
  const load = await openLoad(trapPlan(address, { stop: { total: 3 }, deadlineMs: 200 }));
  t.teardown(() => load.close());
  const result = await load.start().finished;
  const socket = await held;
  t.same(result.tally.codes, { OK: 1, DEADLINE_EXCEEDED: 2 });
  t.equal(socket.destroyed, false, 'the calls ended while the reconnect was still waiting');
});
