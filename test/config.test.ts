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

t.test('WORKERS defaults to 1 and takes auto or a whole number from 1 to the maximum', async (t) => {
  t.equal(loadConfig({}).workers, 1);
  t.equal(loadConfig({ WORKERS: 'Auto' }).workers, 'auto');
  t.equal(loadConfig({ WORKERS: '2' }).workers, 2);
  for (const bad of ['0', 'many', String(MAX_WORKERS + 1)]) {
    t.throws(() => loadConfig({ WORKERS: bad }), { variable: 'WORKERS', message: `WORKERS: "${bad}" is not auto or a whole number from 1 to ${MAX_WORKERS}` }, bad);
  }
});
