import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

t.test('health prints SERVING and exits 0', async (t) => {
  const server = await startServer(t);
  const { code, stdout } = await runCli(t, ['health', '--insecure', server.address]);
  t.equal(code, 0);
  t.equal(stdout, 'SERVING\n');
  const json = await runCli(t, ['health', '--insecure', '--json', '--service', 'helloworld.Greeter', server.address]);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), { status: 'SERVING' });
});

t.test('health of an unknown service exits 5 NOT_FOUND', async (t) => {
  const server = await startServer(t);
  const { code, stderr } = await runCli(t, ['health', '--insecure', '--service', 'nope', server.address]);
  t.equal(code, 5);
  t.match(stderr, /^NOT_FOUND: /);
});

t.test('a server that answers NOT_SERVING exits 20', async (t) => {
  const server = new grpc.Server();
  new HealthImplementation({ '': 'NOT_SERVING' }).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => server.forceShutdown());
  const { code, stdout } = await runCli(t, ['health', '--insecure', `127.0.0.1:${port}`]);
  t.equal(code, 20);
  t.equal(stdout, 'NOT_SERVING\n');
});
