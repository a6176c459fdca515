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
  return Object.freeze({ certFile, keyFile, cert, key });
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
