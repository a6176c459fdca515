import t from 'tap';
import {
  ConfigError,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_CONNECTION_IDLE_MS,
  DEFAULT_MAX_HEALTH_WATCHES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  loadConfig,
} from '../src/config.js';

t.test('the bounds on what one client may hold have defaults', async (t) => {
  const config = loadConfig({});
  t.equal(config.maxConcurrentStreams, DEFAULT_MAX_CONCURRENT_STREAMS);
  t.equal(config.maxConcurrentStreams, 100);
  t.equal(config.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  t.equal(config.maxHealthWatches, DEFAULT_MAX_HEALTH_WATCHES);
  t.equal(config.maxConnectionIdleMs, DEFAULT_MAX_CONNECTION_IDLE_MS);
  t.equal(config.memoryLimit, 'auto');
  t.equal(config.keepaliveTimeMs, DEFAULT_KEEPALIVE_TIME_MS, 'server keepalive is on');
  t.ok(config.keepaliveTimeMs > 0);
  t.equal(config.keepaliveTimeoutMs, DEFAULT_KEEPALIVE_TIMEOUT_MS);
});

t.test('each bound is read from its variable', async (t) => {
  const config = loadConfig({
    MAX_CONCURRENT_STREAMS: '8',
    REQUEST_TIMEOUT_MS: '0',
    MAX_HEALTH_WATCHES: '5',
    MAX_CONNECTION_IDLE_MS: '60000',
    MEMORY_LIMIT_MIB: '512',
    KEEPALIVE_TIME_MS: '0',
  });
  t.equal(config.maxConcurrentStreams, 8);
  t.equal(config.requestTimeoutMs, 0);
  t.equal(config.maxHealthWatches, 5);
  t.equal(config.maxConnectionIdleMs, 60_000);
  t.equal(config.memoryLimit, 512 * 1024 * 1024);
  t.equal(config.keepaliveTimeMs, 0);
  t.equal(loadConfig({ MEMORY_LIMIT_MIB: 'Auto' }).memoryLimit, 'auto');
});

t.test('a bad bound fails with a ConfigError that names its variable', async (t) => {
  const cases: Record<string, string> = {
    MAX_CONCURRENT_STREAMS: '0',
    REQUEST_TIMEOUT_MS: '10s',
    MAX_HEALTH_WATCHES: '-1',
    MAX_CONNECTION_IDLE_MS: 'never',
    MEMORY_LIMIT_MIB: '32',
  };
  for (const [variable, value] of Object.entries(cases)) {
    t.throws(() => loadConfig({ [variable]: value }), new RegExp(`^${variable}: "${value}" is not`), variable);
    t.throws(() => loadConfig({ [variable]: value }), ConfigError);
  }
});
