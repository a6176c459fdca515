// `npm run test:image`: what ships is what is tested. Builds the Dockerfile, unchanged, with the
// machine's container engine; runs the image under the contract the rendered manifests declare
// (k8s/overlays/anthos, then cloudrun: env, PORT, non-root user, read-only root, no capabilities,
// limits); calls it with the project's own client directly and through nginx's grpc_pass (an
// HTTP/2 proxy, as Knative's ingress and queue-proxy are); and stops it as the platform does.
// Where no image can be built, it fails saying why. docs/image-test.md: needs, cache, timings.
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { connect, deadlineIn, greeterClient, healthClient } from '../../src/client/connect.js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';
import type { HelloResponse__Output } from '../../src/generated/helloworld/HelloResponse.js';
import { MAX_REPLIES } from '../../src/server/greeter.js';
import { collect, lotsOfGreetings, sayHello, type Outcome } from '../helpers/calls.js';
import { REPO_ROOT } from '../helpers/manifests.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';
import { baseImage } from './base-image.js';
import { removeLeftoverContainers, runUnderContract, type Container } from './container.js';
import { memoryBytes, readContract, type Contract } from './contract.js';
import { findEngine, type Engine } from './engine.js';
import { startGrpcProxy } from './grpc-proxy.js';

/** Kept between runs: podman's image store (the stand-in base, the build's layers) and an unpacked nginx. */
const CACHE_DIR = process.env.IMAGE_TEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cloudrun-grpc-image-test');
const IMAGE = 'localhost/cloudrun-grpc:image-test';
/** Cloud Run and Knative send SIGTERM, then SIGKILL this long after. */
const SHUTDOWN_WINDOW_S = 10;
/** Retry a refused connection every 100 ms, so the cold start is measured to within that. */
const QUICK_RECONNECT: grpc.ChannelOptions = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 100 };
const { OK, INVALID_ARGUMENT, UNAVAILABLE, UNIMPLEMENTED } = grpc.status;

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);

/** Builds the image; resolves to its USER. */
async function buildImage(engine: Engine): Promise<{ user: string }> {
  const base = await baseImage(engine, temporaryDirectory(t, 'cloudrun-grpc-image-base-'), (line) => t.comment(line));
  t.comment(base.standInBecause === undefined ? `base ${base.ref}` : `base ${base.ref}, a stand-in: ${base.standInBecause.trim().split('\n').pop()}`);
  const started = performance.now();
  await engine.exec(['build', ...engine.buildArgs, '--build-arg', `NODE_IMAGE=${base.ref}`, '--tag', IMAGE, '--file', join(REPO_ROOT, 'Dockerfile'), REPO_ROOT], 900_000);
  t.teardown(() => engine.exec(['rmi', IMAGE]).then(() => undefined, () => undefined));
  const [size = '', user = ''] = (await engine.exec(['image', 'inspect', '--format', '{{.Size}} {{.Config.User}}', IMAGE])).trim().split(' ');
  t.comment(`built ${IMAGE} with ${engine.name} in ${seconds(started)} s; image size ${(Number(size) / 1e6).toFixed(0)} MB`);
  return { user };
}

/** A client of `address` through the project's connection factory (plaintext, as Knative's h2c). */
function client(t: Test, address: string): GreeterClient {
  const greeter = greeterClient(connect(address, { insecure: true, channelOptions: QUICK_RECONNECT }));
  t.teardown(() => greeter.close());
  return greeter;
}

/** Waits for the server to accept a connection, then calls SayHello; comments the time since `run`. */
async function firstCall(t: Test, container: Container, greeter: GreeterClient): Promise<void> {
  await new Promise<void>((resolve, reject) => greeter.waitForReady(deadlineIn(60_000), (error) => (error ? reject(error) : resolve())));
  const { status } = await sayHello(greeter, { name: 'Ada' });
  t.equal(status.code, OK, 'the first SayHello answers OK');
  t.comment(`time from run to the first OK call: ${seconds(container.startedAt)} s`);
}

/** BidiHello one message at a time: each is sent only after the previous reply came back, then the half-close. */
function bidiInTurn(greeter: GreeterClient, names: string[]): Promise<Outcome<HelloResponse__Output>> {
  return new Promise((resolve) => {
    const replies: HelloResponse__Output[] = [];
    const call = greeter.BidiHello();
    const next = () => (replies.length < names.length ? call.write({ name: names[replies.length] }) : call.end());
    call.on('data', (reply: HelloResponse__Output) => (replies.push(reply), next()));
    call.on('error', () => {});
    call.on('status', (status) => setImmediate(() => resolve({ replies, status })));
    next();
  });
}

async function checkProbes(t: Test, contract: Contract, container: Container): Promise<void> {
  t.ok(contract.probes.length >= 2, `k8s/overlays/${contract.overlay} declares gRPC probes`);
  const health = healthClient(connect(container.address, { insecure: true }));
  t.teardown(() => health.close());
  for (const probe of contract.probes) {
    t.equal(probe.port, contract.containerPort, `the ${probe.kind} asks the container port`);
    const answer = await new Promise<string>((resolve) =>
      health.Check({ service: probe.service }, (error, reply) => resolve(error ? grpc.status[error.code] : String(reply?.status))),
    );
    t.equal(answer, 'SERVING', `the ${probe.kind} (service "${probe.service}") answers SERVING`);
  }
}

async function checkFourShapes(t: Test, greeter: GreeterClient): Promise<void> {
  const hello = await sayHello(greeter, { name: 'Ada' });
  t.same([hello.status.code, hello.replies[0]?.message], [OK, 'Hello, Ada!'], 'SayHello');
  const replies = await collect(greeter.LotsOfReplies({ name: 'Ada', count: 3 }));
  t.same([replies.status.code, replies.replies.map((r) => r.sequence)], [OK, [1, 2, 3]], 'LotsOfReplies: three replies, in order');
  const greetings = await lotsOfGreetings(greeter, [{ name: 'Ada' }, { name: 'Bo' }, { name: 'Cy' }]);
  t.same([greetings.status.code, greetings.replies[0]?.message], [OK, 'Hello, Ada, Bo, Cy! (3 greetings received)'], 'LotsOfGreetings');
  const bidi = await bidiInTurn(greeter, ['Ada', 'Bo']);
  t.same([bidi.status.code, bidi.replies.map((r) => r.message)], [OK, ['Hello, Ada!', 'Hello, Bo!']], 'BidiHello: in turn, then OK after the half-close');
}

/** Calls that end with an error status: a trailers-only answer, and one whose status follows a reply. */
const FAILING_CALLS: Record<string, (greeter: GreeterClient) => Promise<Outcome<HelloResponse__Output>>> = {
  'SayHello with an empty name': (greeter) => sayHello(greeter, { name: '' }),
  'LotsOfReplies over the count limit': (greeter) => collect(greeter.LotsOfReplies({ name: 'Ada', count: MAX_REPLIES + 1 })),
  'BidiHello whose second message is invalid': (greeter) => bidiInTurn(greeter, ['Ada', '']),
};

const trailers = ({ replies, status }: Outcome<unknown>) => ({ replies: replies.length, code: status.code, details: status.details, metadata: status.metadata.getMap() });

async function checkThroughProxy(t: Test, direct: GreeterClient, proxied: GreeterClient): Promise<void> {
  await t.test('all four shapes', (t) => checkFourShapes(t, proxied));

  await t.test('LotsOfReplies every 1000 ms delivers each reply in its own second (nothing buffered)', async (t) => {
    const count = 4;
    const started = performance.now();
    const arrivals: number[] = [];
    const call = proxied.LotsOfReplies({ name: 'Ada', count, interval_ms: 1000 });
    call.on('data', () => arrivals.push(Math.floor((performance.now() - started) / 1000)));
    const { status } = await collect(call);
    t.equal(status.code, OK);
    t.equal(arrivals.length, count, `${count} replies`);
    t.equal(new Set(arrivals).size, count, `in ${count} distinct seconds: ${arrivals.join(', ')}`);
  });

  await t.test('error statuses and trailers arrive as the server sent them', async (t) => {
    for (const [name, call] of Object.entries(FAILING_CALLS)) {
      const sent = trailers(await call(direct));
      t.equal(sent.code, INVALID_ARGUMENT, `${name}: INVALID_ARGUMENT from the server`);
      // t.has: nginx may add headers of its own (server, content-length) to a trailers-only answer.
      t.has(trailers(await call(proxied)), sent, `${name}: the same code, message and metadata through nginx (${sent.details})`);
    }
  });
}

async function checkDrain(t: Test, container: Container, clients: GreeterClient[]): Promise<void> {
  // 10 s of replies: longer than the drain's grace (SHUTDOWN_GRACE_MS), so the drain decides how each ends.
  const calls = clients.map((greeter) => greeter.LotsOfReplies({ name: 'Ada', count: 20, interval_ms: 500 }));
  const outcomes = calls.map((call) => collect(call));
  await Promise.all(calls.map((call) => new Promise((resolve) => call.once('data', resolve))));
  const stopping = performance.now();
  const exitCode = await container.stop(SHUTDOWN_WINDOW_S);
  t.comment(`stop took ${seconds(stopping)} s`);
  for (const [index, { status, replies }] of (await Promise.all(outcomes)).entries()) {
    const path = index === 0 ? 'direct' : 'through nginx';
    t.ok([OK, UNAVAILABLE].includes(status.code), `the stream in flight (${path}) ends OK or UNAVAILABLE: ${grpc.status[status.code]} after ${replies.length} replies`);
  }
  t.equal(exitCode, 0, 'the container exits 0');
  const logs = await container.logs();
  t.ok(logs.some((line) => line.message.startsWith('draining (SIGTERM)')), 'the drain line is logged');
}

async function runAnthos(engine: Engine, image: { user: string }, contract: Contract): Promise<void> {
  await t.test(`under the contract of k8s/overlays/${contract.overlay}`, async (t) => {
    const container = await runUnderContract(t, engine, IMAGE, contract);
    const direct = client(t, container.address);
    await firstCall(t, container, direct);

    await t.test("the server runs as the manifest's securityContext and limits say", async (t) => {
      const [uid] = image.user.split(':');
      if (contract.runAsNonRoot) t.ok(/^\d+$/.test(uid ?? '') && uid !== '0', `runAsNonRoot: the image's USER ${image.user} is a numeric non-root id`);
      const seen = JSON.parse(await container.node(INSPECT_PID_1)) as { cmdline: string[]; uid: string; capEff: string; rootWrite: string; memoryLimit?: string };
      t.same(seen.cmdline, ['node', 'dist/main.js'], 'PID 1 is node itself, so SIGTERM reaches the server');
      t.equal(seen.uid, uid, `runs as uid ${uid}`);
      if (contract.dropCapabilities.includes('ALL')) t.equal(seen.capEff, '0000000000000000', 'no capabilities (drop: [ALL])');
      if (contract.readOnlyRootFilesystem) t.equal(seen.rootWrite, 'EROFS', 'readOnlyRootFilesystem: writing /tmp fails with EROFS');
      if (container.limitsSkipped) t.comment(`limits not applied here: ${container.limitsSkipped}`);
      else if (contract.memoryLimit) t.equal(seen.memoryLimit, String(memoryBytes(contract.memoryLimit)), `the ${contract.memoryLimit} memory limit applies`);
    });
    await t.test("the manifests' own gRPC probes answer SERVING", (t) => checkProbes(t, contract, container));
    await t.test('all four shapes over the container port', (t) => checkFourShapes(t, direct));

    const proxied = client(t, await startGrpcProxy(t, container.address, CACHE_DIR));
    await t.test('through nginx grpc_pass', (t) => checkThroughProxy(t, direct, proxied));
    await t.test(`stop (SIGTERM, SIGKILL after ${SHUTDOWN_WINDOW_S} s) with a stream in flight directly and through nginx`, (t) =>
      checkDrain(t, container, [direct, proxied]),
    );
  });
}

async function runCloudRun(engine: Engine, contract: Contract): Promise<void> {
  await t.test(`under the contract of k8s/overlays/${contract.overlay} with K_SERVICE set, as managed Cloud Run runs it`, async (t) => {
    const container = await runUnderContract(t, engine, IMAGE, contract);
    const greeter = client(t, container.address);
    await firstCall(t, container, greeter);
    await t.test("the manifests' own gRPC probes answer SERVING", (t) => checkProbes(t, contract, container));
    await t.test(`STREAMING=${contract.env.STREAMING}: the streaming shapes end UNIMPLEMENTED, saying why`, async (t) => {
      const listening = (await container.logs()).find((line) => line.message.startsWith('Greeter listening'));
      t.equal(listening?.streaming, false, 'the server logs streaming off');
      const outcomes = {
        LotsOfReplies: await collect(greeter.LotsOfReplies({ name: 'Ada' })),
        LotsOfGreetings: await lotsOfGreetings(greeter, [{ name: 'Ada' }]),
        BidiHello: await bidiInTurn(greeter, ['Ada']),
      };
      for (const [method, { status }] of Object.entries(outcomes)) {
        t.equal(status.code, UNIMPLEMENTED, `${method}: UNIMPLEMENTED`);
        t.match(status.details, /streaming is off.*SayHello/, `${method}: the message points to SayHello`);
      }
    });
  });
}

/** Run inside the container: what PID 1 (the server) is and may do, and what the container allows. */
const INSPECT_PID_1 = `
const fs = require('fs');
const read = (file) => { try { return fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; } };
const status = read('/proc/1/status');
let rootWrite = 'written';
try { fs.writeFileSync('/tmp/image-test-probe', ''); } catch (error) { rootWrite = error.code; }
console.log(JSON.stringify({
  cmdline: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean),
  uid: /^Uid:\\s+(\\d+)/m.exec(status)[1],
  capEff: /^CapEff:\\s+(\\w+)/m.exec(status)[1],
  rootWrite,
  memoryLimit: read('/sys/fs/cgroup/memory.max') ?? read('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
}));`;

/** Everything the checks need; any step that fails says why the image cannot be tested here. */
async function prepare() {
  const [anthos, cloudrun] = [await readContract('anthos'), await readContract('cloudrun')];
  const engine = await findEngine(join(CACHE_DIR, 'podman'));
  await removeLeftoverContainers(engine);
  return { engine, image: await buildImage(engine), anthos, cloudrun };
}

const ready = await prepare().catch((error: Error) => error);
if (ready instanceof Error) {
  t.fail(`the image cannot be built and run here: ${ready.message}`);
} else {
  await runAnthos(ready.engine, ready.image, ready.anthos);
  await runCloudRun(ready.engine, ready.cloudrun);
}
