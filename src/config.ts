// The only module that reads process.env. Everything else receives the frozen,
// validated Config that loadConfig() returns, so a bad value stops start-up
// once, at the door, with an error that names the variable: that includes what
// the variables point at (the TLS files, the xDS bootstrap), checked here
// before anything binds.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { checkXdsServerBootstrap } from './xds.js';

export type StreamingSetting = 'auto' | 'on' | 'off';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface Config {
  /** Interface to listen on; undefined means every interface (IPv6 and IPv4). */
  readonly host: string | undefined;
  /** TCP port: Cloud Run and Knative set PORT. */
  readonly port: number;
  readonly streaming: StreamingSetting;
  /** Serve gRPC's interop TestService (grpc.testing) beside the Greeter: INTEROP=on. */
  readonly interop: boolean;
  readonly logLevel: LogLevel;
  /** Google Cloud project, for the logging.googleapis.com/trace field. */
  readonly project: string | undefined;
  /** How long in-flight calls may run after SIGTERM before they are ended with UNAVAILABLE. */
  readonly shutdownGraceMs: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** Server HTTP/2 keepalive pings; 0 turns them off (on Node 20 a connection the server GOAWAYs may then never close). */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** 0 means connections live for ever; set it so long-lived HTTP/2 connections re-balance across pods. */
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
  /** Calls (other than health checks) served at once; more are refused with RESOURCE_EXHAUSTED. 0: no limit. */
  readonly maxConcurrentCalls: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open at once. */
  readonly maxConcurrentStreams: number;
  /** A unary or server-streaming call whose request has not wholly arrived this long after it began ends. 0: no limit. */
  readonly requestTimeoutMs: number;
  /** Health Watch streams open at once (they count against no other limit); more are refused. 0: no limit. */
  readonly maxHealthWatches: number;
  /** Close connections without a call for this long (with a GOAWAY). 0: never. */
  readonly maxConnectionIdleMs: number;
  /** The memory the process may use, in bytes, or `auto`: the container's cgroup limit (else the machine's memory). */
  readonly memoryLimit: number | 'auto';
  /** Server processes sharing the port: a number, or `auto` for one per CPU the process may use. */
  readonly workers: number | 'auto';
  /** Serve through @grpc/grpc-js-xds's XdsServer, which takes its Listener from the xDS control plane. */
  readonly xdsServer: boolean;
  /** Verify Google ID tokens on every call but health and reflection; undefined leaves calls unauthenticated. */
  readonly auth: AuthConfig | undefined;
  /**
   * The port of the Prometheus metrics endpoint (GET /metrics, plain HTTP, on HOST); undefined: metrics are off.
   * 0 picks a free port (tests).
   */
  readonly metricsPort: number | undefined;
  /** Serve TLS with this certificate and key; undefined serves plaintext HTTP/2 (h2c), as Cloud Run and Knative expect. */
  readonly tls: TlsConfig | undefined;
  /** OpenTelemetry export over OTLP (the standard OTEL_* variables); see OtelConfig. */
  readonly otel: OtelConfig;
  /** What the platform tells us about where we run, for the streaming decision and logs. */
  readonly platform: {
    readonly kService: string | undefined;
    readonly kRevision: string | undefined;
    readonly kubernetesServiceHost: string | undefined;
  };
}

export interface AuthConfig {
  /** Accepted `aud` claims (AUTH_AUDIENCE, comma-separated): the URLs callers mint their tokens for. */
  readonly audiences: readonly string[];
  /** When non-empty, only tokens whose verified `email` is listed here may call (AUTH_ALLOWED_EMAILS). */
  readonly allowedEmails: readonly string[];
}

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** The files' contents, read (and checked to be a certificate and its key) by loadConfig. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** TLS_HANDSHAKE_TIMEOUT_MS: a connection that has not completed its TLS handshake by then is closed. */
  readonly handshakeTimeoutMs: number;
}

/**
 * The standard OpenTelemetry variables this server reads (the SDK's own readers are never left to read them:
 * every value is passed to it explicitly). Nothing is exported unless an OTLP endpoint is set.
 */
export interface OtelConfig {
  /** service.name (OTEL_SERVICE_NAME, else K_SERVICE, else cloudrun-grpc). */
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** A span per RPC exported here; undefined when traces are off (no endpoint, OTEL_TRACES_EXPORTER=none, OTEL_SDK_DISABLED=true). */
  readonly traces: OtlpTraces | undefined;
  /** Metrics pushed here every intervalMs; undefined when off, as for traces. */
  readonly metrics: OtlpMetrics | undefined;
}

/** Where one signal goes: OTLP over HTTP, protobuf-encoded. */
export interface OtlpExport {
  /** The full URL (OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/<signal>). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly compression: 'gzip' | 'none';
}

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface OtlpTraces extends OtlpExport {
  readonly sampler: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the share of traces kept by the two ratio samplers (default 1). */
  readonly samplerRatio: number;
  /** The batch span processor: OTEL_BSP_SCHEDULE_DELAY, …MAX_QUEUE_SIZE, …MAX_EXPORT_BATCH_SIZE, …EXPORT_TIMEOUT. */
  readonly batch: {
    readonly scheduleDelayMs: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
    readonly exportTimeoutMs: number;
  };
}

export interface OtlpMetrics extends OtlpExport {
  /** OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT. */
  readonly intervalMs: number;
  readonly exportTimeoutMs: number;
}

/** What the client CLI takes from the environment. */
export interface ClientEnvironment {
  /** A bearer token minted elsewhere (CLOUDRUN_GRPC_TOKEN), used when --token is not given. */
  readonly token: string | undefined;
}

/** A configuration value that cannot be used; `variable` names the environment variable at fault. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const STREAMING_SETTINGS: readonly StreamingSetting[] = ['auto', 'on', 'off'];
const ON_OFF = ['on', 'off'] as const;

export const DEFAULT_PORT = 8080;
/**
 * Cloud Run's highest per-instance concurrency: the platform never routes more to one instance, so on Cloud
 * Run nothing it admits is refused. Elsewhere (Knative with containerConcurrency 0, direct clients) it caps
 * what open calls may hold: about 14 KiB per open stream measured (bench/memory.ts), so 1000 is ~14 MiB.
 */
export const DEFAULT_MAX_CONCURRENT_CALLS = 1000;
export const MAX_WORKERS = 64;
const MiB = 1024 * 1024;

/**
 * Per connection. Knative's queue-proxy (Go's HTTP/2 transport, StrictMaxConcurrentStreams off) opens another
 * connection when one reaches the server's limit, so the limit spreads its callers over connections rather
 * than refusing them; and one connection can hold at most a tenth of MAX_CONCURRENT_CALLS. 100 is the
 * smallest value RFC 9113 (§6.5.2) advises a server to allow, and what Envoy advises at the edge.
 */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
/** A request message of 4 MiB takes ~3 s at 10 Mbit/s; a request not there in 10 s is not coming. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Node's own default is 120 s: a connection that never sends its ClientHello would hold its socket that long. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** About 12 KiB each, so 1000 hold ~12 MiB. Client-side health checking opens one per connection. */
export const DEFAULT_MAX_HEALTH_WATCHES = 1000;
/**
 * Server keepalive is on: a connection that cannot answer a PING within KEEPALIVE_TIME_MS +
 * KEEPALIVE_TIMEOUT_MS (one that never sent the HTTP/2 preface, or one whose peer is gone) is closed.
 */
export const DEFAULT_KEEPALIVE_TIME_MS = 30_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000;
/** Knative's queue-proxy redials an idle connection it needs again; an idle one costs a socket and ~20 KiB. */
export const DEFAULT_MAX_CONNECTION_IDLE_MS = 300_000;
/** Below this the process cannot run the server at all. */
export const MIN_MEMORY_LIMIT_MIB = 64;

/** Reads an environment variable, treating an empty or blank value as unset. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

/** A whole number in [min, max], or `fallback` when the variable is unset. */
export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `"${raw}" is not a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

/** One of `choices` (case-insensitive), or `fallback` when the variable is unset. */
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  const choice = choices.find((c) => c === raw);
  if (choice === undefined) throw new ConfigError(name, `"${raw}" is not one of ${choices.join(', ')}`);
  return choice;
}

/** WORKERS: `auto` or a whole number of processes. */
function readWorkers(env: Env): number | 'auto' {
  const raw = read(env, 'WORKERS');
  if (raw?.toLowerCase() === 'auto') return 'auto';
  if (raw !== undefined && (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_WORKERS)) {
    throw new ConfigError('WORKERS', `"${raw}" is not auto or a whole number from 1 to ${MAX_WORKERS}`);
  }
  return raw === undefined ? 1 : Number(raw);
}

/**
 * The variable that gives gRPC its xDS bootstrap (`GRPC_XDS_BOOTSTRAP`, a file, wins over
 * `GRPC_XDS_BOOTSTRAP_CONFIG`, the JSON itself, as in gRPC), or undefined when neither is set.
 */
export function xdsBootstrapVariable(env: Env = process.env): string | undefined {
  return ['GRPC_XDS_BOOTSTRAP', 'GRPC_XDS_BOOTSTRAP_CONFIG'].find((name) => read(env, name) !== undefined);
}

export const XDS_BOOTSTRAP_HINT =
  'set GRPC_XDS_BOOTSTRAP to the path of an xDS bootstrap JSON file, or GRPC_XDS_BOOTSTRAP_CONFIG to the JSON itself';

/** METRICS_PORT: off (the default) or a port other than PORT's. */
function readMetricsPort(env: Env, port: number): number | undefined {
  const raw = read(env, 'METRICS_PORT');
  if (raw === undefined || raw.toLowerCase() === 'off') return undefined;
  const metricsPort = readInteger(env, 'METRICS_PORT', 0, 0, 65535);
  if (metricsPort === port && port !== 0) throw new ConfigError('METRICS_PORT', `is ${raw}, the gRPC port (PORT): give metrics a port of their own, such as 9464`);
  return metricsPort;
}

/** MEMORY_LIMIT_MIB: `auto` (the default) or a whole number of MiB. */
function readMemoryLimit(env: Env): number | 'auto' {
  const raw = read(env, 'MEMORY_LIMIT_MIB');
  if (raw === undefined || raw.toLowerCase() === 'auto') return 'auto';
  return readInteger(env, 'MEMORY_LIMIT_MIB', 0, MIN_MEMORY_LIMIT_MIB, 4 * 1024 * 1024) * MiB;
}

/**
 * XDS_SERVER=on needs a bootstrap XdsServer can use: present, readable, valid JSON, valid to
 * @grpc/grpc-js-xds (its own validator, so the meaning is gRPC's) and with the listener template a
 * server needs. gRPC reads the same variables again when the server is built.
 */
function readXdsServer(env: Env): boolean {
  if (readChoice(env, 'XDS_SERVER', ON_OFF, 'off') === 'off') return false;
  const variable = xdsBootstrapVariable(env);
  if (variable === undefined) throw new ConfigError('XDS_SERVER', `"on" needs an xDS bootstrap: ${XDS_BOOTSTRAP_HINT}`);
  const value = read(env, variable) as string;
  const cannotUse = (detail: string) => new ConfigError(variable, `XDS_SERVER=on cannot use this xDS bootstrap: ${detail}`);
  let text = value;
  if (variable === 'GRPC_XDS_BOOTSTRAP') {
    try {
      text = readFileSync(value, 'utf8');
    } catch (error) {
      throw cannotUse(`cannot read "${value}": ${(error as Error).message}`);
    }
  }
  try {
    checkXdsServerBootstrap(JSON.parse(text));
  } catch (error) {
    throw cannotUse((error as Error).message);
  }
  return true;
}

/** A comma-separated list, blanks dropped; empty when the variable is unset. */
function readList(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readAuth(env: Env): AuthConfig | undefined {
  const audiences = readList(env, 'AUTH_AUDIENCE');
  const allowedEmails = readList(env, 'AUTH_ALLOWED_EMAILS').map((email) => email.toLowerCase());
  const notEmail = allowedEmails.find((email) => !/^[^@\s]+@[^@\s]+$/.test(email));
  if (notEmail !== undefined) throw new ConfigError('AUTH_ALLOWED_EMAILS', `"${notEmail}" is not an email address`);
  if (audiences.length === 0) {
    if (allowedEmails.length > 0) {
      throw new ConfigError('AUTH_ALLOWED_EMAILS', 'needs AUTH_AUDIENCE: set the audience callers mint their ID tokens for');
    }
    return undefined;
  }
  return Object.freeze({ audiences: Object.freeze(audiences), allowedEmails: Object.freeze(allowedEmails) });
}

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
/** OTLP over HTTP with protobuf bodies, the specification's default and what Google's collector takes on 4318. */
const OTLP_PROTOCOLS = ['http/protobuf'] as const;
const OTLP_EXPORTERS = ['otlp', 'none'] as const;
const OTLP_COMPRESSIONS = ['gzip', 'none'] as const;
const MAX_MS = 2 ** 31 - 1;

/** A `key=value,key=value` list (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), values percent-decoded. */
function readKeyValues(env: Env, name: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of readList(env, name)) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    if (eq <= 0 || key === '') throw new ConfigError(name, `"${item}" is not key=value`);
    try {
      pairs[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(name, `the value of "${key}" is not percent-encoded correctly`);
    }
  }
  return pairs;
}

/** An http(s) URL, or undefined when the variable is unset. */
function readUrl(env: Env, name: string): URL | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `"${raw}" is not a URL: give one such as http://localhost:4318`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `"${raw}" is not an http or https URL: give one such as http://localhost:4318`);
  }
  return url;
}

/**
 * Where one signal (`TRACES`, `METRICS`) is exported, or undefined when it is not: no endpoint for it, or its
 * OTEL_<SIGNAL>_EXPORTER is none. The specific variables win over the general ones, as the specification says.
 */
function readOtlpExport(env: Env, signal: 'TRACES' | 'METRICS', disabled: boolean): OtlpExport | undefined {
  const exporter = readChoice(env, `OTEL_${signal}_EXPORTER`, OTLP_EXPORTERS, 'otlp');
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`]) {
    readChoice(env, name, OTLP_PROTOCOLS, 'http/protobuf');
  }
  const specific = readUrl(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  const general = readUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const headers = { ...readKeyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS'), ...readKeyValues(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`) };
  const timeoutMs = readInteger(
    env,
    `OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`,
    readInteger(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1, MAX_MS),
    1,
    MAX_MS,
  );
  const compression = readChoice(
    env,
    `OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`,
    OTLP_COMPRESSIONS,
    readChoice(env, 'OTEL_EXPORTER_OTLP_COMPRESSION', OTLP_COMPRESSIONS, 'none'),
  );
  if (disabled || exporter === 'none') return undefined;
  let url: string;
  if (specific !== undefined) url = specific.href;
  else if (general !== undefined) url = `${general.href.replace(/\/$/, '')}/v1/${signal.toLowerCase()}`;
  else return undefined;
  return { url, headers: Object.freeze(headers), timeoutMs, compression };
}

/** OTEL_TRACES_SAMPLER_ARG: a ratio from 0 to 1, read only by the ratio samplers (others ignore it, as the specification says). */
function readSamplerRatio(env: Env, sampler: SamplerName): number {
  const raw = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined || !sampler.endsWith('traceidratio')) return 1;
  const ratio = Number(raw);
  if (!/^\d*\.?\d+(e-?\d+)?$/i.test(raw) || !(ratio >= 0 && ratio <= 1)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `"${raw}" is not a ratio from 0 to 1 (for ${sampler})`);
  }
  return ratio;
}

function readOtel(env: Env): OtelConfig {
  const disabled = readChoice(env, 'OTEL_SDK_DISABLED', ['true', 'false'], 'false') === 'true';
  const resourceAttributes = readKeyValues(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const sampler = readChoice(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const samplerRatio = readSamplerRatio(env, sampler);
  const batch = Object.freeze({
    scheduleDelayMs: readInteger(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0, MAX_MS),
    maxQueueSize: readInteger(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, 1, 1_000_000),
    maxExportBatchSize: readInteger(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 1_000_000),
    exportTimeoutMs: readInteger(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1, MAX_MS),
  });
  if (batch.maxExportBatchSize > batch.maxQueueSize) {
    throw new ConfigError('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', `${batch.maxExportBatchSize} is more than OTEL_BSP_MAX_QUEUE_SIZE (${batch.maxQueueSize})`);
  }
  const intervalMs = readInteger(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000, 1, MAX_MS);
  // The SDK refuses a timeout longer than the interval: the default shrinks to fit, a value set must.
  const metricTimeoutMs = readInteger(env, 'OTEL_METRIC_EXPORT_TIMEOUT', Math.min(30_000, intervalMs), 1, intervalMs);
  const traces = readOtlpExport(env, 'TRACES', disabled);
  const metrics = readOtlpExport(env, 'METRICS', disabled);
  return Object.freeze({
    serviceName: read(env, 'OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? read(env, 'K_SERVICE') ?? 'cloudrun-grpc',
    resourceAttributes: Object.freeze(resourceAttributes),
    traces: traces && Object.freeze({ ...traces, sampler, samplerRatio, batch }),
    metrics: metrics && Object.freeze({ ...metrics, intervalMs, exportTimeoutMs: metricTimeoutMs }),
  });
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(variable, `cannot read "${file}": ${(error as Error).message}`);
  }
}

function readTls(env: Env): TlsConfig | undefined {
  const certFile = read(env, 'TLS_CERT_FILE');
  const keyFile = read(env, 'TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError('TLS_CERT_FILE', 'is unset but TLS_KEY_FILE is set: set both or neither');
  if (keyFile === undefined) throw new ConfigError('TLS_KEY_FILE', 'is unset but TLS_CERT_FILE is set: set both or neither');
  const cert = readPem('TLS_CERT_FILE', certFile);
  const key = readPem('TLS_KEY_FILE', keyFile);
  try {
    // grpc-js would only find out at bind time, with a less helpful message.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `with TLS_KEY_FILE, not a usable PEM certificate and key: ${(error as Error).message}`);
  }
  const handshakeTimeoutMs = readInteger(env, 'TLS_HANDSHAKE_TIMEOUT_MS', DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, 1, 2 ** 31 - 1);
  return Object.freeze({ certFile, keyFile, cert, key, handshakeTimeoutMs });
}

export function loadConfig(env: Env = process.env): Config {
  const port = readInteger(env, 'PORT', DEFAULT_PORT, 1, 65535);
  return Object.freeze({
    host: read(env, 'HOST'),
    port,
    streaming: readChoice(env, 'STREAMING', STREAMING_SETTINGS, 'auto'),
    interop: readChoice(env, 'INTEROP', ON_OFF, 'off') === 'on',
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    project: read(env, 'GOOGLE_CLOUD_PROJECT') ?? read(env, 'GCLOUD_PROJECT'),
    shutdownGraceMs: readInteger(env, 'SHUTDOWN_GRACE_MS', 8000, 0, 3_600_000),
    maxReceiveMessageBytes: readInteger(env, 'MAX_RECEIVE_MESSAGE_BYTES', 4 * MiB, 1024, 2 ** 31 - 1),
    maxSendMessageBytes: readInteger(env, 'MAX_SEND_MESSAGE_BYTES', 4 * MiB, 1024, 2 ** 31 - 1),
    keepaliveTimeMs: readInteger(env, 'KEEPALIVE_TIME_MS', DEFAULT_KEEPALIVE_TIME_MS, 0, 2 ** 31 - 1),
    keepaliveTimeoutMs: readInteger(env, 'KEEPALIVE_TIMEOUT_MS', DEFAULT_KEEPALIVE_TIMEOUT_MS, 1, 2 ** 31 - 1),
    maxConnectionAgeMs: readInteger(env, 'MAX_CONNECTION_AGE_MS', 0, 0, 2 ** 31 - 1),
    maxConnectionAgeGraceMs: readInteger(env, 'MAX_CONNECTION_AGE_GRACE_MS', 0, 0, 2 ** 31 - 1),
    maxConcurrentCalls: readInteger(env, 'MAX_CONCURRENT_CALLS', DEFAULT_MAX_CONCURRENT_CALLS, 0, 1_000_000),
    maxConcurrentStreams: readInteger(env, 'MAX_CONCURRENT_STREAMS', DEFAULT_MAX_CONCURRENT_STREAMS, 1, 2 ** 31 - 1),
    requestTimeoutMs: readInteger(env, 'REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS, 0, 2 ** 31 - 1),
    maxHealthWatches: readInteger(env, 'MAX_HEALTH_WATCHES', DEFAULT_MAX_HEALTH_WATCHES, 0, 1_000_000),
    maxConnectionIdleMs: readInteger(env, 'MAX_CONNECTION_IDLE_MS', DEFAULT_MAX_CONNECTION_IDLE_MS, 0, 2 ** 31 - 1),
    memoryLimit: readMemoryLimit(env),
    workers: readWorkers(env),
    xdsServer: readXdsServer(env),
    auth: readAuth(env),
    metricsPort: readMetricsPort(env, port),
    tls: readTls(env),
    otel: readOtel(env),
    platform: Object.freeze({
      kService: read(env, 'K_SERVICE'),
      kRevision: read(env, 'K_REVISION'),
      kubernetesServiceHost: read(env, 'KUBERNETES_SERVICE_HOST'),
    }),
  });
}

export function loadClientEnvironment(env: Env = process.env): ClientEnvironment {
  return Object.freeze({ token: read(env, 'CLOUDRUN_GRPC_TOKEN') });
}

/** The process environment itself, for the CLI to hand its commands (CommandIO.env); parse it with the loaders above. */
export function processEnvironment(): Env {
  return process.env;
}
