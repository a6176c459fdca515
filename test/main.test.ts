import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { connect, greeterClient, healthClient } from '../src/client/connect.js';
import type { HealthCheckResponse__Output } from '../src/generated/grpc/health/v1/HealthCheckResponse.js';
import { silentConnections } from './helpers/attacks.js';
import { collect, sayHello } from './helpers/calls.js';
import { spawnEntry, spawnServer } from './helpers/process.js';
import { eventually } from './helpers/server.js';

for (const port of ['abc', '0', '70000', '80.5']) {
  t.test(`PORT=${port} stops start-up with an error that names PORT`, async (t) => {
    const { exited, stderr } = spawnEntry(t, 'src/main.ts', [], { PORT: port });
    const { code } = await exited;
    t.not(code, 0, 'exit code is non-zero');
    t.match(stderr(), `PORT: "${port}" is not a whole number from 1 to 65535`);
  });
}

t.test('a bad STREAMING value stops start-up naming STREAMING', async (t) => {
  const { exited, stderr } = spawnEntry(t, 'src/main.ts', [], { STREAMING: 'maybe' });
  t.not((await exited).code, 0);
  t.match(stderr(), 'STREAMING: "maybe" is not one of auto, on, off');
});

t.test('what the variables point at is checked before anything binds: exit 2, one line naming the variable', async (t) => {
  const garbage = join(t.testdir(), 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  const cases: [Record<string, string>, RegExp][] = [
    [{ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: garbage }, /TLS_CERT_FILE: cannot read "\/nonexistent\/cert.pem"/],
    [{ TLS_CERT_FILE: garbage, TLS_KEY_FILE: garbage }, /TLS_CERT_FILE: with TLS_KEY_FILE, not a usable PEM certificate and key/],
    [{ XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP: '', GRPC_XDS_BOOTSTRAP_CONFIG: '' }, /XDS_SERVER: "on" needs an xDS bootstrap/],
    [{ XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP: garbage }, /GRPC_XDS_BOOTSTRAP: XDS_SERVER=on cannot use this xDS bootstrap: /],
  ];
  // Started together: each is a whole process start-up.
  const started = cases.map(([env]) => spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: '1', ...env }));
  for (const [i, [env, message]] of cases.entries()) {
    const { exited, stderr, logs } = started[i]!;
    t.equal((await exited).code, 2, JSON.stringify(env));
    t.match(stderr(), new RegExp(`^cloudrun-grpc: invalid configuration: ${message.source}.*\n$`));
    t.same(logs(), [], 'nothing was logged: the server was never built');
  }
});

t.test('SIGTERM drains: health goes NOT_SERVING, short calls finish, long ones end UNAVAILABLE, exit 0', async (t) => {
  const graceMs = 1500;
  const server = await spawnServer(t, { SHUTDOWN_GRACE_MS: String(graceMs) });
  const connection = connect(server.address, { insecure: true });
  const greeter = greeterClient(connection);
  const health = healthClient(connection);
  t.teardown(() => (greeter.close(), health.close()));

  const statuses: string[] = [];
  const watch = health.Watch({ service: '' });
  watch.on('data', (r: HealthCheckResponse__Output) => statuses.push(r.status as string));
  watch.on('error', () => {});

  const long = greeter.LotsOfReplies({ name: 'long', count: 1000, interval_ms: 50 });
  const short = greeter.LotsOfReplies({ name: 'short', count: 10, interval_ms: 100 });
  const longOutcome = collect(long);
  const shortOutcome = collect(short);
  await eventually(() => statuses.length === 1, 10_000, 'the health watch');
  await new Promise<void>((resolve) => long.once('data', () => resolve()));

  const signalled = performance.now();
  server.child.kill('SIGTERM');

  const shortResult = await shortOutcome;
  t.equal(shortResult.status.code, grpc.status.OK, 'a stream that fits in the grace period completes');
  t.equal(shortResult.replies.length, 10);
  const longResult = await longOutcome;
  t.equal(longResult.status.code, grpc.status.UNAVAILABLE, 'a stream longer than the grace period ends UNAVAILABLE');
  t.match(longResult.status.details, /shutting down/);
  t.ok(longResult.replies.length > 0 && longResult.replies.length < 1000);

  const { code } = await server.exited;
  const took = performance.now() - signalled;
  t.equal(code, 0, 'exit code 0');
  t.ok(took < graceMs + 5000, `exited ${Math.round(took)} ms after SIGTERM (grace ${graceMs} ms, plus flush)`);
  t.same(statuses, ['SERVING', 'NOT_SERVING'], 'health went NOT_SERVING first');
  const messages = server.logs().map((l) => l.message);
  t.ok(messages.some((m) => m.startsWith('draining (SIGTERM)')));
  t.ok(messages.some((m) => /grace period of 1500 ms over: waited for 1 calls in flight \(\/helloworld\.Greeter\/\w+\) on \d+ connections; ending them with UNAVAILABLE/.test(m)));
  t.equal(messages.at(-1), 'stopped', `the last line says it stopped: ${JSON.stringify(messages.slice(-3))}`);
});

t.test('SIGTERM with nothing in flight exits 0 at once, and refuses new calls', async (t) => {
  const server = await spawnServer(t, { SHUTDOWN_GRACE_MS: '60000' });
  const greeter = greeterClient(connect(server.address, { insecure: true }));
  t.teardown(() => greeter.close());
  t.equal((await sayHello(greeter, { name: 'Ada' })).status.code, grpc.status.OK);
  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0);
  t.ok(server.logs().some((l) => l.message === 'drained: every call in flight finished'));
  const after = await sayHello(greeter, { name: 'Ada' }, { deadline: Date.now() + 2000 });
  t.equal(after.status.code, grpc.status.UNAVAILABLE, 'a call after shutdown is refused');
});

t.test('SIGTERM closes a connection with no call at once, though its peer keeps the socket open after the GOAWAY', async (t) => {
  const graceMs = 20_000;
  const server = await spawnServer(t, { SHUTDOWN_GRACE_MS: String(graceMs) });
  // A peer that reads what the server sends (its SETTINGS, the GOAWAY) and never answers nor closes.
  const idle = await silentConnections(server.address, 1);
  t.teardown(idle.close);
  const signalled = performance.now();
  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0);
  const took = performance.now() - signalled;
  t.ok(took < graceMs, `exited ${Math.round(took)} ms after SIGTERM, not after the ${graceMs} ms grace`);
  await eventually(() => idle.closed() === 1, 5000, 'the idle connection to be closed');
  t.match(server.logs().find((l) => l.message.startsWith('draining (SIGTERM)')), { in_flight: 0, idle_connections_closed: 1 });
});

t.test('SIGINT drains like SIGTERM', async (t) => {
  const server = await spawnServer(t);
  server.child.kill('SIGINT');
  t.equal((await server.exited).code, 0);
  t.ok(server.logs().some((l) => l.message.startsWith('draining (SIGINT)')));
});

t.test('a port that is taken stops start-up with exit code 1 and says where it tried to listen', async (t) => {
  const first = await spawnServer(t);
  const port = first.address.split(':')[1]!;
  const second = spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: port });
  t.equal((await second.exited).code, 1);
  const fatal = second.logs().find((l) => l.severity === 'CRITICAL');
  t.equal(fatal?.message, `cannot listen on 127.0.0.1 port ${port} (check HOST and PORT)`);
});
