import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { privateNetworkUnavailable, spawnInPrivateNetwork } from '../helpers/network-namespace.js';
import { freePort, spawnEntry } from '../helpers/process.js';
import { eventually } from '../helpers/server.js';
import { ControlPlane, TYPE_URL } from './control-plane.js';
import type { DrainsReport, ScenarioReport, ServesReport } from './fixtures/xds-server-scenario.js';

// @grpc/grpc-js-xds 1.14's XdsServer listens on every interface, whatever host it is given, and tests bind
// only to loopback. So each XdsServer scenario (control plane, server, clients) runs in a child process in a
// private network namespace whose only interface is loopback (fixtures/xds-server-scenario.ts), and the test
// asserts on what it reports. Where such a namespace cannot be made, those tests are skipped, never run here.
const SCENARIO = 'test/xds/fixtures/xds-server-scenario.ts';
const noPrivateNetwork =
  privateNetworkUnavailable !== undefined &&
  `needs a private network namespace, as XdsServer listens on every interface: ${privateNetworkUnavailable}`;

async function runScenario<R extends ScenarioReport>(t: Test, name: 'serves' | 'drains'): Promise<R> {
  const child = spawnInPrivateNetwork(t, SCENARIO, [name]);
  const { code } = await child.exited;
  const report = child.stdout().trim().split('\n').at(-1) ?? '';
  t.equal(code, 0, 'the scenario ran to its end', { report, stderr: child.stderr() });
  const parsed = JSON.parse(report) as R;
  t.same(parsed.interfaces, ['lo'], 'it ran where loopback is the only interface');
  return parsed;
}

t.test('XDS_SERVER=on without an xDS bootstrap stops start-up with an error naming the variables', async (t) => {
  const error = t.throws(() => loadConfig({ XDS_SERVER: 'on' })) as ConfigError;
  t.equal(error.variable, 'XDS_SERVER');
  t.match(error.message, /GRPC_XDS_BOOTSTRAP .*GRPC_XDS_BOOTSTRAP_CONFIG/);
  t.equal(loadConfig({}).xdsServer, false, 'off by default');
});

t.test('XDS_SERVER=on with a bootstrap lacking server_listener_resource_name_template stops start-up, exit 2', async (t) => {
  // loadConfig checks the bootstrap at start-up, before anything listens or connects.
  const bootstrap = JSON.stringify({
    xds_servers: [{ server_uri: '127.0.0.1:9', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'cloudrun-grpc-test', locality: { zone: 'test-a' } },
  });
  const { exited, stderr, logs } = spawnEntry(t, 'src/main.ts', [], {
    XDS_SERVER: 'on',
    GRPC_XDS_BOOTSTRAP: '',
    GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap,
    HOST: '127.0.0.1',
  });
  t.equal((await exited).code, 2);
  t.match(
    stderr(),
    /^cloudrun-grpc: invalid configuration: GRPC_XDS_BOOTSTRAP_CONFIG: XDS_SERVER=on cannot use this xDS bootstrap: .*server_listener_resource_name_template\n$/,
    'one line naming the variable and the missing field, no stack trace',
  );
  t.same(logs(), [], 'it never got as far as listening');
});

t.test('with XDS_SERVER=on the server serves once the control plane sends its Listener', { skip: noPrivateNetwork }, async (t) => {
  const report = await runScenario<ServesReport>(t, 'serves');
  t.match(report.reply, /mesh/);
  t.match(
    report.logs.find((l) => l.method === '/helloworld.Greeter/SayHello'),
    { code: 'OK' },
    'the call interceptor logged the call',
  );
  t.equal(report.healthStatus, 'SERVING');
  t.ok(report.logs.some((l) => /waiting for the xDS control plane/.test(l.message)));
  t.same(report.nacks, []);
});

t.test('drain lets a call in flight on an xDS server finish, then stops serving', { skip: noPrivateNetwork }, async (t) => {
  const report = await runScenario<DrainsReport>(t, 'drains');
  t.equal(report.streamCode, grpc.status.OK);
  t.equal(report.replies, 5, 'every reply of the call in flight arrived');
  const drained = report.logs.findIndex((l) => l.message === 'drained: every call in flight finished');
  const streamLogged = report.logs.findIndex((l) => l.method === '/helloworld.Greeter/LotsOfReplies');
  t.ok(drained >= 0, "the 'drained' line was logged");
  t.match(report.logs[streamLogged], { code: 'OK', messages_out: 5 }, 'the server finished the call in flight…');
  t.ok(streamLogged < drained, '…before the drain said it was drained (only then may main.ts exit)');
  t.equal(report.afterCode, grpc.status.UNAVAILABLE, 'a new call finds no server');
  t.same(report.nacks, []);
});

t.test('with XDS_SERVER=on, SIGTERM before the control plane sends the Listener drains the server and it exits 0', async (t) => {
  // No Listener is ever sent, so XdsServer never binds its port: no namespace is needed.
  const plane = await ControlPlane.start(t);
  const { child, exited, logs, stderr } = spawnEntry(t, 'src/main.ts', [], {
    XDS_SERVER: 'on',
    GRPC_XDS_BOOTSTRAP: '',
    GRPC_XDS_BOOTSTRAP_CONFIG: plane.bootstrap(),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
  });
  await eventually(() => plane.requested(TYPE_URL.listener).length > 0, 30_000, 'the server asking the control plane for its Listener');
  child.kill('SIGTERM');
  let bound: NodeJS.Timeout | undefined;
  const exit = await Promise.race([exited, new Promise((resolve) => (bound = setTimeout(resolve, 15_000, 'still running 15 s after SIGTERM')))]);
  clearTimeout(bound);
  t.same(exit, { code: 0, signal: null }, 'the process exited 0 although it never listened', { stderr: stderr() });
  t.ok(logs().some((l) => l.message === 'stopped'), "it logged 'stopped'");
});
