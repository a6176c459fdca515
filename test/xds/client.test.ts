import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import t, { type Test } from 'tap';
import { connect } from '../../src/client/connect.js';
import { ConfigError } from '../../src/config.js';
import { TS_NODE_ARGS } from '../helpers/process.js';
import { eventually, startServer, type TestServer } from '../helpers/server.js';
import { assignment, clientListener, ControlPlane, edsCluster, routeTo, TYPE_URL } from './control-plane.js';

const TARGET = 'xds:///greeter';
const CLUSTER = 'greeter-cluster';

interface CallsResult {
  ok: number;
  errors: { code: number; details: string }[];
}

/** Two Greeter backends and a control plane that sends xds:///greeter to both. */
async function meshOfTwo(t: Test): Promise<{ plane: ControlPlane; a: TestServer; b: TestServer }> {
  const [plane, a, b] = await Promise.all([ControlPlane.start(t), startServer(t), startServer(t)]);
  plane.set(TYPE_URL.listener, clientListener('greeter', 'greeter-route'));
  plane.set(TYPE_URL.route, routeTo('greeter-route', CLUSTER));
  plane.set(TYPE_URL.cluster, edsCluster(CLUSTER));
  plane.set(TYPE_URL.endpoints, assignment(CLUSTER, [a.port, b.port]));
  return { plane, a, b };
}

/** A client process (fixtures/greeter-calls.ts) for `target`, bootstrapped to `plane`; `calls(n)` makes n SayHello calls. */
function spawnCaller(t: Test, plane: ControlPlane): { calls(n: number): Promise<CallsResult> } {
  const env: NodeJS.ProcessEnv = { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: plane.bootstrap() };
  delete env.GRPC_XDS_BOOTSTRAP;
  const child = spawn(process.execPath, [...TS_NODE_ARGS, 'test/xds/fixtures/greeter-calls.ts', TARGET], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    child.stdin.end();
    if (child.exitCode === null) child.kill();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async calls(n) {
      child.stdin.write(`${n}\n`);
      const line = await lines.next();
      if (line.done) throw new Error('client process ended early');
      return JSON.parse(line.value) as CallsResult;
    },
  };
}

const served = (server: TestServer): number =>
  server.logs.filter((l) => l.method === '/helloworld.Greeter/SayHello' && l.code === 'OK').length;

const xdsPackageLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('grpc-js-xds'));

t.test('a non-xds target does not load @grpc/grpc-js-xds', async (t) => {
  connect('127.0.0.1:1', { insecure: true });
  t.equal(xdsPackageLoaded(), false);
});

t.test('an xds:/// target without a bootstrap fails at connect() naming both bootstrap variables', async (t) => {
  delete process.env.GRPC_XDS_BOOTSTRAP;
  delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG;
  const error = t.throws(() => connect(TARGET, { insecure: true })) as ConfigError;
  t.type(error, ConfigError);
  t.equal(error.variable, 'GRPC_XDS_BOOTSTRAP');
  t.match(error.message, /xds:\/\/\/greeter.*GRPC_XDS_BOOTSTRAP .*GRPC_XDS_BOOTSTRAP_CONFIG/);
  t.equal(xdsPackageLoaded(), false);
});

t.test('an xds:/// target with a bootstrap loads @grpc/grpc-js-xds on demand', async (t) => {
  const plane = await ControlPlane.start(t);
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = plane.bootstrap();
  t.teardown(() => delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG);
  t.match(connect(TARGET, { insecure: true }), { target: TARGET });
  t.equal(xdsPackageLoaded(), true);
});

t.test('xds:///greeter calls succeed and are spread over both backends the control plane names', async (t) => {
  const { plane, a, b } = await meshOfTwo(t);
  const result = await spawnCaller(t, plane).calls(40);
  t.same(result, { ok: 40, errors: [] });
  await eventually(() => served(a) + served(b) === 40, 5000, 'access-log lines for 40 calls');
  t.ok(served(a) > 0, `backend A served ${served(a)} of 40`);
  t.ok(served(b) > 0, `backend B served ${served(b)} of 40`);
  t.same(plane.nacks, []);
});

t.test('removing a backend from the assignment moves all traffic to the other', async (t) => {
  const { plane, a, b } = await meshOfTwo(t);
  const caller = spawnCaller(t, plane);
  t.same(await caller.calls(20), { ok: 20, errors: [] });

  const version = plane.set(TYPE_URL.endpoints, assignment(CLUSTER, [a.port]));
  await eventually(() => plane.accepted(TYPE_URL.endpoints, version), 10_000, 'the client to accept the new assignment');
  await eventually(() => served(a) + served(b) === 20, 5000, 'access-log lines for the first 20 calls');
  const [aBefore, bBefore] = [served(a), served(b)];

  t.same(await caller.calls(20), { ok: 20, errors: [] });
  await eventually(() => served(a) === aBefore + 20, 5000, 'backend A to serve the next 20 calls');
  t.equal(served(b), bBefore, 'backend B, no longer assigned, served none of them');
  t.same(plane.nacks, []);
});
