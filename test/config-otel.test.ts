// The standard OpenTelemetry variables: read and checked by loadConfig, a bad value stopping start-up (exit 2)
// with the variable named.
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { runServer } from '../src/server/run.js';
import { memoryIo } from './helpers/cli.js';

t.test('nothing is exported by default: no OTLP endpoint, no traces and no OTLP metrics', async (t) => {
  const { otel } = loadConfig({});
  t.equal(otel.traces, undefined);
  t.equal(otel.metrics, undefined);
  t.equal(otel.serviceName, 'cloudrun-grpc');
  t.equal(loadConfig({ K_SERVICE: 'greeter' }).otel.serviceName, 'greeter', "Cloud Run's service name, where OTEL_SERVICE_NAME is unset");
});

t.test('OTEL_EXPORTER_OTLP_ENDPOINT turns both on, each signal at its own path; the defaults are the specification\'s', async (t) => {
  const { otel } = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318/' });
  t.equal(otel.traces?.url, 'http://localhost:4318/v1/traces');
  t.equal(otel.metrics?.url, 'http://localhost:4318/v1/metrics');
  t.equal(otel.traces?.sampler, 'parentbased_always_on');
  t.equal(otel.traces?.samplerRatio, 1);
  t.equal(otel.traces?.timeoutMs, 10_000);
  t.equal(otel.traces?.compression, 'none');
  t.same(otel.traces?.batch, { scheduleDelayMs: 5000, maxQueueSize: 2048, maxExportBatchSize: 512, exportTimeoutMs: 30_000 });
  t.equal(otel.metrics?.intervalMs, 60_000);
  t.equal(otel.metrics?.exportTimeoutMs, 30_000);
});

t.test('the signal-specific variables win, and an endpoint of their own is used as it is', async (t) => {
  const { otel } = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=two%20words',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=3',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '3000',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_METRIC_EXPORT_INTERVAL: '10000',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=from-attributes',
  });
  t.equal(otel.traces?.url, 'https://traces.example/custom');
  t.equal(otel.metrics?.url, 'http://collector:4318/v1/metrics');
  t.same(otel.traces?.headers, { a: '3', b: 'two words' });
  t.same(otel.metrics?.headers, { a: '1', b: 'two words' });
  t.equal(otel.traces?.timeoutMs, 2000);
  t.equal(otel.metrics?.timeoutMs, 3000);
  t.equal(otel.traces?.compression, 'gzip');
  t.equal(otel.traces?.samplerRatio, 0.25);
  t.equal(otel.metrics?.exportTimeoutMs, 10_000, 'the export timeout shrinks to fit a shorter interval');
  t.equal(otel.serviceName, 'from-attributes');
  t.equal(otel.resourceAttributes['deployment.environment'], 'prod');
});

t.test('OTEL_TRACES_EXPORTER=none, OTEL_METRICS_EXPORTER=none and OTEL_SDK_DISABLED=true turn export off', async (t) => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  t.equal(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).otel.traces, undefined);
  t.not(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).otel.metrics, undefined);
  t.equal(loadConfig({ ...endpoint, OTEL_METRICS_EXPORTER: 'none' }).otel.metrics, undefined);
  const disabled = loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).otel;
  t.equal(disabled.traces, undefined);
  t.equal(disabled.metrics, undefined);
});

const BAD: [Record<string, string>, string, RegExp][] = [
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318:x' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /is not an http or https URL/],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', /is not a URL/],
  [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', /is not an http or https URL/],
  [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', /"sometimes" is not one of always_on, always_off, traceidratio/],
  [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG', /is not a ratio from 0 to 1/],
  [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG', /is not a ratio from 0 to 1/],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /"grpc" is not one of http\/protobuf/],
  [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', /is not one of http\/protobuf/],
  [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER', /is not one of otlp, none/],
  [{ OTEL_METRICS_EXPORTER: 'console' }, 'OTEL_METRICS_EXPORTER', /is not one of otlp, none/],
  [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', /is not one of true, false/],
  [{ OTEL_EXPORTER_OTLP_HEADERS: 'authorization' }, 'OTEL_EXPORTER_OTLP_HEADERS', /"authorization" is not key=value/],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }, 'OTEL_RESOURCE_ATTRIBUTES', /not percent-encoded correctly/],
  [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' }, 'OTEL_EXPORTER_OTLP_COMPRESSION', /is not one of gzip, none/],
  [{ OTEL_EXPORTER_OTLP_TIMEOUT: '-1' }, 'OTEL_EXPORTER_OTLP_TIMEOUT', /is not a whole number/],
  [{ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '200' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', /more than OTEL_BSP_MAX_QUEUE_SIZE/],
  [{ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' }, 'OTEL_METRIC_EXPORT_TIMEOUT', /from 1 to 1000/],
];

for (const [env, variable, message] of BAD) {
  t.test(`${JSON.stringify(env)} is refused, naming ${variable}`, async (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', variable, message });
  });
}

t.test('a bad OTEL_* value stops the server at start-up: exit 2, the variable named', async (t) => {
  const { io, output } = memoryIo();
  t.equal(await runServer({ HOST: '127.0.0.1', LOG_LEVEL: 'silent', OTEL_TRACES_SAMPLER: 'sometimes' }, io.stderr), 2);
  t.match(output.stderr, /^cloudrun-grpc: invalid configuration: OTEL_TRACES_SAMPLER: "sometimes" is not one of/);
});
