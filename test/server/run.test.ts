// runServer in this process: its outcomes (exit codes 0, 1, 2) without a child process per case.
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { health } from '../../src/proto.js';
import { runServer } from '../../src/server/run.js';
import { closedPort, memoryIo } from '../helpers/cli.js';

const quiet = { HOST: '127.0.0.1', LOG_LEVEL: 'silent' };

t.test('an invalid configuration returns 2, naming the variable on stderr', async (t) => {
  const { io, output } = memoryIo();
  t.equal(await runServer({ PORT: 'eighty' }, io.stderr), 2);
  t.match(output.stderr, /invalid configuration: PORT: "eighty"/);
});

t.test('an unreadable TLS file returns 2, naming the variable', async (t) => {
  const { io, output } = memoryIo();
  const env = { ...quiet, PORT: String(await closedPort()), TLS_CERT_FILE: '/nonexistent/c.pem', TLS_KEY_FILE: '/nonexistent/k.pem' };
  t.equal(await runServer(env, io.stderr), 2);
  t.match(output.stderr, /invalid configuration: TLS_CERT_FILE: cannot read/);
});

t.test('an xDS bootstrap named in the environment given but unreadable returns 2, naming the variable', async (t) => {
  const { io, output } = memoryIo();
  t.equal(await runServer({ ...quiet, XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP: '/nonexistent/bootstrap.json' }, io.stderr), 2);
  t.match(output.stderr, /^cloudrun-grpc: invalid configuration: GRPC_XDS_BOOTSTRAP: XDS_SERVER=on cannot use this xDS bootstrap: cannot read/);
});

t.test('a port already taken returns 1', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  t.equal(await runServer({ ...quiet, PORT: String((taken.address() as { port: number }).port) }), 1);
});

t.test('a configuration error other than ConfigError is not swallowed', async (t) => {
  await t.rejects(runServer(null as unknown as Record<string, string>), TypeError);
});

t.test('the server serves until SIGTERM drains it, then returns 0', async (t) => {
  const port = await closedPort();
  const running = runServer({ ...quiet, PORT: String(port) });
  const client = new health.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const status = await new Promise((resolve, reject) =>
    client.Check({ service: '' }, new grpc.Metadata({ waitForReady: true }), { deadline: Date.now() + 10_000 }, (error, reply) =>
      error ? reject(error) : resolve(reply?.status),
    ),
  );
  t.equal(status, 'SERVING');
  // runServer's handler takes this signal; tap's own process is not stopped.
  process.kill(process.pid, 'SIGTERM');
  t.equal(await running, 0);
});
