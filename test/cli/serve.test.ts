// `cloudrun-grpc serve` and src/main.ts, spawned: the same server process.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { health } from '../../src/proto.js';
import { closedPort, spawnCli } from '../helpers/cli.js';
import { eventually } from '../helpers/server.js';

async function checkHealth(port: number): Promise<string | undefined> {
  const client = new health.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.Check({ service: '' }, { deadline: Date.now() + 5000 }, (error, reply) => (error ? reject(error) : resolve(reply?.status))),
    );
  } finally {
    client.close();
  }
}

for (const [what, args, entry] of [
  ['cloudrun-grpc serve', ['serve'], 'src/cli.ts'],
  ['src/main.ts', [], 'src/main.ts'],
] as const) {
  t.test(`${what} serves on PORT and exits 0 after SIGTERM drains it`, async (t) => {
    const port = await closedPort();
    const run = spawnCli(t, [...args], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }, entry);
    await eventually(() => run.output.stdout.includes('Greeter listening'), 20_000, 'the server to listen');
    t.equal(await checkHealth(port), 'SERVING');
    run.child.kill('SIGTERM');
    t.equal(await run.exited(), 0);
    t.match(run.output.stdout, /"message":"stopped"/);
  });
}
