import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { connect, greeterClient } from '../../src/client/connect.js';
import { usableCpus } from '../../src/server/cgroup.js';
import { resolveWorkerCount } from '../../src/server/workers.js';
import { sayHello } from '../helpers/calls.js';
import { freePort, spawnEntry, type Spawned } from '../helpers/process.js';
import { eventually } from '../helpers/server.js';

const SAY_HELLO = '/helloworld.Greeter/SayHello';

t.test('WORKERS=auto counts the CPUs this process may use; a number is taken as it is', async (t) => {
  t.equal(resolveWorkerCount('auto', () => 3), 3);
  t.equal(resolveWorkerCount(2, () => 3), 2);
  t.equal(resolveWorkerCount('auto'), usableCpus());
});

/** Starts the entry point with WORKERS=2 and waits until both workers listen. */
async function spawnCluster(t: Test): Promise<Spawned & { address: string }> {
  const port = await freePort();
  const spawned = spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: String(port), WORKERS: '2', SHUTDOWN_GRACE_MS: '2000' });
  await eventually(() => listeningWorkers(spawned).size === 2, 30_000, 'two workers to listen');
  return { ...spawned, address: `127.0.0.1:${port}` };
}

function listeningWorkers(spawned: Spawned): Set<number> {
  return new Set(spawned.logs().filter((l) => typeof l.port === 'number' && l.worker !== undefined).map((l) => l.worker as number));
}

/** `n` calls, each on a connection of its own (the primary hands out connections, not calls). */
async function callOnFreshConnections(t: Test, address: string, n: number): Promise<grpc.status[]> {
  const codes: grpc.status[] = [];
  for (let i = 0; i < n; i += 1) {
    const client = greeterClient(connect(address, { insecure: true, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } }));
    t.teardown(() => client.close());
    codes.push((await sayHello(client, { name: `call ${i}` }, { deadline: Date.now() + 10_000 })).status.code);
    client.close();
  }
  return codes;
}

t.test('WORKERS=2 serves calls from two processes on one port, and SIGTERM drains both and exits 0', async (t) => {
  const server = await spawnCluster(t);
  const codes = await callOnFreshConnections(t, server.address, 6);
  t.same(codes, Array(6).fill(grpc.status.OK));
  await eventually(() => server.logs().filter((l) => l.method === SAY_HELLO).length === 6, 5000, 'six access lines');
  const access = server.logs().filter((l) => l.method === SAY_HELLO);
  t.same(new Set(access.map((l) => l.worker)), new Set([1, 2]), 'both workers served calls');
  t.equal(new Set(access.map((l) => l.pid)).size, 2, 'from two processes');

  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0, 'exit code 0');
  // 'exit' can come before the last of stdout has been read.
  const primaryStopped = (): number => server.logs().findIndex((l) => l.message === 'stopped' && l.worker === undefined);
  await eventually(() => primaryStopped() >= 0, 10_000, 'the primary to log that it stopped').catch((error: Error) => {
    throw new Error(`${error.message}; last lines: ${JSON.stringify(server.logs().slice(-4))}`);
  });
  const messages = server.logs().map((l) => l.message);
  t.ok(messages.includes('draining every worker (SIGTERM)'));
  const workersStopped = server.logs().flatMap((l, i) => (l.message === 'stopped' && l.worker !== undefined ? [i] : []));
  t.equal(workersStopped.length, 2, 'each worker drained and stopped');
  t.ok(workersStopped.every((i) => i < primaryStopped()), 'the primary stops after its workers');
});

t.test('a worker that dies unexpectedly is logged and replaced, and calls keep being served', async (t) => {
  const server = await spawnCluster(t);
  const victim = server.logs().find((l) => l.worker === 1 && typeof l.pid === 'number')!;
  process.kill(victim.pid as number, 'SIGKILL');
  await eventually(() => listeningWorkers(server).has(3), 30_000, 'worker 3 to replace worker 1');
  t.ok(server.logs().some((l) => l.severity === 'ERROR' && /worker 1 died unexpectedly \(SIGKILL\); started worker 3/.test(l.message)));
  t.same(await callOnFreshConnections(t, server.address, 4), Array(4).fill(grpc.status.OK));
  server.child.kill('SIGTERM');
  t.equal((await server.exited).code, 0);
});

t.test('workers that cannot listen stop the cluster with exit code 1 instead of being replaced for ever', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const { port } = taken.address() as { port: number };
  const spawned = spawnEntry(t, 'src/main.ts', [], { HOST: '127.0.0.1', PORT: String(port), WORKERS: '2' });
  t.equal((await spawned.exited).code, 1);
  t.ok(spawned.logs().some((l) => /before it listened; stopping/.test(l.message)));
});
