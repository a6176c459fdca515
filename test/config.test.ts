import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_PORT, MAX_WORKERS, loadConfig } from '../src/config.js';

t.test('defaults: port 8080 on every interface, streaming auto, info logs, 8 s grace, 4 MiB messages', async (t) => {
  const config = loadConfig({});
  t.equal(config.port, DEFAULT_PORT);
  t.equal(config.port, 8080);
  t.equal(config.host, undefined);
  t.equal(config.streaming, 'auto');
  t.equal(config.logLevel, 'info');
  t.equal(config.shutdownGraceMs, 8000);
  t.equal(config.maxReceiveMessageBytes, 4 * 1024 * 1024);
  t.equal(config.maxConnectionAgeMs, 0);
  t.ok(Object.isFrozen(config));
});

t.test('values are read from the environment and blank ones count as unset', async (t) => {
  const config = loadConfig({
    PORT: '9090',
    HOST: ' ',
    STREAMING: 'On',
    LOG_LEVEL: 'warn',
    GCLOUD_PROJECT: 'my-project',
    MAX_CONNECTION_AGE_MS: '300000',
    K_SERVICE: 'greeter',
  });
  t.equal(config.port, 9090);
  t.equal(config.host, undefined);
  t.equal(config.streaming, 'on');
  t.equal(config.logLevel, 'warn');
  t.equal(config.project, 'my-project');
  t.equal(config.maxConnectionAgeMs, 300_000);
  t.equal(config.platform.kService, 'greeter');
});

t.test('GOOGLE_CLOUD_PROJECT wins over GCLOUD_PROJECT', async (t) => {
  t.equal(loadConfig({ GOOGLE_CLOUD_PROJECT: 'a', GCLOUD_PROJECT: 'b' }).project, 'a');
});

t.test('each bad value fails with a ConfigError that names its variable', async (t) => {
  const cases: Record<string, string> = {
    PORT: '-1',
    STREAMING: 'sometimes',
    LOG_LEVEL: 'loud',
    SHUTDOWN_GRACE_MS: '1e3',
    MAX_RECEIVE_MESSAGE_BYTES: '10',
    KEEPALIVE_TIME_MS: 'soon',
  };
  for (const [variable, value] of Object.entries(cases)) {
    t.throws(() => loadConfig({ [variable]: value }), new ConfigError(variable, ''), variable);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      t.equal((error as ConfigError).variable, variable);
      t.match((error as Error).message, new RegExp(`^${variable}: "${value.toLowerCase()}|${value}"`));
    }
  }
});

t.test('MAX_CONCURRENT_CALLS defaults to 1000, 0 means no limit, and a bad value names the variable', async (t) => {
  t.equal(loadConfig({}).maxConcurrentCalls, DEFAULT_MAX_CONCURRENT_CALLS);
  t.equal(DEFAULT_MAX_CONCURRENT_CALLS, 1000);
  t.equal(loadConfig({ MAX_CONCURRENT_CALLS: '0' }).maxConcurrentCalls, 0);
  t.equal(loadConfig({ MAX_CONCURRENT_CALLS: '64' }).maxConcurrentCalls, 64);
  t.throws(() => loadConfig({ MAX_CONCURRENT_CALLS: 'lots' }), /^MAX_CONCURRENT_CALLS: "lots" is not a whole number/);
});

t.test('METRICS_PORT is off by default, takes off or a port (0 for any free one), and names itself when bad', async (t) => {
  t.equal(loadConfig({}).metricsPort, undefined);
  t.equal(loadConfig({ METRICS_PORT: 'off' }).metricsPort, undefined);
  t.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464);
  t.equal(loadConfig({ METRICS_PORT: '0' }).metricsPort, 0);
  t.throws(() => loadConfig({ METRICS_PORT: 'prometheus' }), { variable: 'METRICS_PORT', message: /^METRICS_PORT: "prometheus" is not a whole number from 0 to 65535/ });
  t.throws(() => loadConfig({ METRICS_PORT: '70000' }), { variable: 'METRICS_PORT', message: /^METRICS_PORT: "70000"/ });
  t.throws(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' }), { variable: 'METRICS_PORT', message: /the gRPC port \(PORT\)/ });
});

t.test('WORKERS defaults to 1 and takes auto or a whole number from 1 to the maximum', async (t) => {
  t.equal(loadConfig({}).workers, 1);
  t.equal(loadConfig({ WORKERS: 'Auto' }).workers, 'auto');
  t.equal(loadConfig({ WORKERS: '2' }).workers, 2);
  for (const bad of ['0', 'many', String(MAX_WORKERS + 1)]) {
    t.throws(() => loadConfig({ WORKERS: bad }), { variable: 'WORKERS', message: `WORKERS: "${bad}" is not auto or a whole number from 1 to ${MAX_WORKERS}` }, bad);
  }
});

/** A bootstrap XdsServer can use, but for `without` (fields left out). */
function bootstrap(...without: string[]): string {
  const full: Record<string, unknown> = {
    xds_servers: [{ server_uri: '127.0.0.1:9', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'cloudrun-grpc-test', locality: { zone: 'test-a' } },
    server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
  };
  for (const field of without) delete full[field];
  return JSON.stringify(full);
}

t.test('XDS_SERVER=on takes the xDS bootstrap from the environment given, as JSON or as a file', async (t) => {
  t.equal(loadConfig({ XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap() }).xdsServer, true);
  const file = join(t.testdir(), 'bootstrap.json');
  writeFileSync(file, bootstrap());
  t.equal(loadConfig({ XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP: file, GRPC_XDS_BOOTSTRAP_CONFIG: '{' }).xdsServer, true, 'the file wins');
});

t.test('XDS_SERVER=on with a bootstrap a server cannot use is a ConfigError naming the variable that holds it', async (t) => {
  const notJson = join(t.testdir(), 'not.json');
  writeFileSync(notJson, 'xds_servers: []');
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ GRPC_XDS_BOOTSTRAP: '/nonexistent/bootstrap.json' }, 'GRPC_XDS_BOOTSTRAP', /cannot read "\/nonexistent\/bootstrap.json": ENOENT/],
    [{ GRPC_XDS_BOOTSTRAP: notJson }, 'GRPC_XDS_BOOTSTRAP', /JSON/],
    [{ GRPC_XDS_BOOTSTRAP_CONFIG: '[]' }, 'GRPC_XDS_BOOTSTRAP_CONFIG', /xds_servers: expected an array/],
    [{ GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap('xds_servers') }, 'GRPC_XDS_BOOTSTRAP_CONFIG', /xds_servers: expected an array/],
    [{ GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify({ ...JSON.parse(bootstrap()), node: { id: 'x' } }) }, 'GRPC_XDS_BOOTSTRAP_CONFIG', /locality/],
    [{ GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap('server_listener_resource_name_template') }, 'GRPC_XDS_BOOTSTRAP_CONFIG', /server_listener_resource_name_template/],
  ];
  for (const [env, variable, detail] of cases) {
    const error = t.throws(() => loadConfig({ XDS_SERVER: 'on', ...env }), { name: 'ConfigError', variable }, JSON.stringify(env)) as ConfigError;
    t.match(error.message, new RegExp(`^${variable}: XDS_SERVER=on cannot use this xDS bootstrap: `));
    t.match(error.message, detail);
  }
});

t.test('the xDS bootstrap is not read while XDS_SERVER is off', async (t) => {
  t.equal(loadConfig({ GRPC_XDS_BOOTSTRAP: '/nonexistent/bootstrap.json' }).xdsServer, false);
});
