// The one connection factory, shared by the CLI, the load harness and the
// tests: TLS with the system's roots by default (as Cloud Run's :443 needs),
// plaintext on request, `:authority` override, an extra CA for private CAs.
// Everything a call needs besides its request rides in the Connection itself
// (bearer token, custom metadata, gzip, the default deadline), so every client
// made from it gets them with no per-call code.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { GreeterClient } from '../generated/helloworld/Greeter.js';
import type { HealthClient } from '../generated/grpc/health/v1/Health.js';
import { health, helloworld } from '../proto.js';
import { registerXdsResolverFor } from './xds.js';
import { bearerCredentials, googleIdTokens, staticToken, type CallAuth } from './auth.js';

export type { CallAuth };

export const TLS_PORT = 443;
export const DEFAULT_DEADLINE_MS = 30_000;

export interface ConnectOptions {
  /** Plaintext HTTP/2 (h2c): local servers and cluster-local Knative addresses. */
  readonly insecure?: boolean;
  /** `:authority` (and TLS server name) to send instead of the target's host. */
  readonly authority?: string;
  /** PEM file of an extra root CA to trust, besides the system's. */
  readonly caFile?: string;
  /** Mutual TLS: PEM files of the client's certificate and its private key, presented to the server. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The name the server's certificate is checked against, instead of the :authority's host. */
  readonly serverName?: string;
  /** Accept any server certificate (self-signed test servers): no chain or name check. */
  readonly skipVerify?: boolean;
  /** Largest message received and sent, in bytes (grpc-js: 4 MiB received, no limit sent). */
  readonly maxReceiveBytes?: number;
  readonly maxSendBytes?: number;
  /** Extra channel options (keepalive, message limits, …). */
  readonly channelOptions?: grpc.ChannelOptions;
  /** A bearer token on every call: Google ID tokens minted for an audience, or a static token. */
  readonly auth?: CallAuth;
  /** Metadata sent with every call, in order; repeated keys send several values. `-bin` keys take base64. */
  readonly metadata?: readonly (readonly [key: string, value: string])[];
  /** Compress requests with gzip. */
  readonly gzip?: boolean;
  /** The deadline of calls that set none themselves (30 s by default). */
  readonly deadlineMs?: number;
}

/**
 * ConnectOptions as plain data, structured-clonable (the load harness hands it
 * to worker threads): no channel options, no GoogleAuth instance, no deadline
 * (the harness has its own).
 */
export type ConnectionSpec = Omit<ConnectOptions, 'channelOptions' | 'auth' | 'deadlineMs'> & {
  readonly auth?: { readonly kind: 'id-token'; readonly audience?: string } | { readonly kind: 'static'; readonly token: string };
};

/**
 * The target could not be reached (within the connect timeout); nothing was said to it. `code` names the cause
 * when known (ECONNREFUSED, or a gRPC status name); `cause` is the call's error, when one failed.
 */
export class ConnectError extends Error {
  override name = 'ConnectError';
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface Connection {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  /** Channel options plus the interceptor that gives each call its token, metadata and deadline. */
  readonly options: grpc.ClientOptions;
}

/**
 * The gRPC target for a user's `host[:port]`: with TLS and no port, 443 (where
 * Cloud Run and Knative ingresses listen). Targets with a scheme (dns:, xds:,
 * unix:) pass through unchanged.
 */
const SCHEME = /^(dns|xds|unix|unix-abstract|ipv4|ipv6|vsock):/;
const HOST_WITH_PORT = /^(\[[^\]]+\]|[^:[\]]+):\d+$/;

export function resolveTarget(target: string, insecure: boolean): string {
  const port = HOST_WITH_PORT.test(target) ? Number(target.slice(target.lastIndexOf(':') + 1)) : undefined;
  if (port !== undefined && (port < 1 || port > 65_535)) throw new RangeError(`"${target}": port ${port} is not a TCP port (1 to 65535)`);
  if (SCHEME.test(target) || port !== undefined || insecure) return target;
  return `${target}:${TLS_PORT}`;
}

/**
 * The ID-token audience Cloud Run expects for a target: `https://` and the host,
 * without the port. `authority` (the service's name when the target is an
 * ingress address) wins over the target.
 */
export function defaultAudience(target: string, authority?: string): string {
  let host = authority ?? target;
  if (authority === undefined && SCHEME.test(target)) {
    // dns:[//dns-server/]host[:port], xds:///name, ipv4:addr[:port][,…]: the name is the last path segment.
    host = target.replace(SCHEME, '').replace(/^\/\/[^/]*\//, '').split(',')[0] as string;
  }
  const bracketed = /^\[[^\]]+\]/.exec(host);
  return `https://${bracketed ? bracketed[0] : host.replace(/:\d*$/, '')}`;
}

/** The system's root CAs and the one in `caFile`, as one PEM bundle. */
export function trustedRoots(caFile: string): Buffer {
  try {
    return Buffer.from(`${rootCertificates.join('\n')}\n${readFileSync(caFile, 'utf8')}`);
  } catch (error) {
    throw new Error(`cannot read the CA file "${caFile}": ${(error as Error).message}`);
  }
}

/** The TLS material the options name, read: extra roots (with the system's), the client's certificate and key. */
export function clientTls(options: Pick<ConnectOptions, 'caFile' | 'certFile' | 'keyFile'>): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read the ${what} file "${file}": ${(error as Error).message}`);
    }
  };
  return {
    ...(options.caFile !== undefined && { ca: trustedRoots(options.caFile) }),
    ...(options.certFile !== undefined && { cert: read('client certificate', options.certFile) }),
    ...(options.keyFile !== undefined && { key: read('client key', options.keyFile) }),
  };
}

/** The call metadata from `key=value` pairs; throws on a key gRPC cannot send. */
function callMetadata(pairs: readonly (readonly [string, string])[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of pairs) {
    try {
      metadata.add(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
    } catch (error) {
      throw new Error(`cannot send metadata "${key}": ${(error as Error).message}`);
    }
  }
  return metadata;
}

export function tokenSource(auth: CallAuth, target: string, authority: string | undefined) {
  return auth.kind === 'static'
    ? staticToken(auth.token)
    : googleIdTokens(auth.audience ?? defaultAudience(target, authority), auth.googleAuth);
}

/**
 * One interceptor gives every call what the connection promises: the default
 * deadline, the bearer token as per-call credentials and the custom metadata.
 * Per-call credentials because grpc-js refuses to compose call credentials into
 * insecure channel credentials, and cluster-local Knative (h2c) needs the token
 * too; one path for TLS and plaintext keeps them alike.
 */
function callDefaults(deadlineMs: number, credentials: grpc.CallCredentials | undefined, metadata: grpc.Metadata): grpc.Interceptor {
  const requester: grpc.Requester = {
    start(callMetadata, listener, next) {
      callMetadata.merge(metadata);
      next(callMetadata, listener);
    },
  };
  return (options, nextCall) =>
    new grpc.InterceptingCall(
      nextCall({ ...options, deadline: options.deadline ?? deadlineIn(deadlineMs), credentials: options.credentials ?? credentials }),
      requester,
    );
}

export function connect(target: string, options: ConnectOptions = {}): Connection {
  registerXdsResolverFor(target);
  const insecure = options.insecure ?? false;
  const channelOptions: grpc.ClientOptions = { ...options.channelOptions };
  if (options.authority !== undefined) {
    channelOptions['grpc.default_authority'] = options.authority;
    if (!insecure) channelOptions['grpc.ssl_target_name_override'] = options.authority;
  }
  if (options.serverName !== undefined && !insecure) channelOptions['grpc.ssl_target_name_override'] = options.serverName;
  if (options.gzip === true) channelOptions['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms.gzip;
  if (options.maxReceiveBytes !== undefined) channelOptions['grpc.max_receive_message_length'] = options.maxReceiveBytes;
  if (options.maxSendBytes !== undefined) channelOptions['grpc.max_send_message_length'] = options.maxSendBytes;
  const tls = clientTls(options);
  const credentials = insecure
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, {
        ...(options.skipVerify === true && { rejectUnauthorized: false, checkServerIdentity: () => undefined }),
      });
  const callCredentials =
    options.auth === undefined ? undefined : bearerCredentials(tokenSource(options.auth, target, options.authority));
  channelOptions.interceptors = [
    callDefaults(options.deadlineMs ?? DEFAULT_DEADLINE_MS, callCredentials, callMetadata(options.metadata ?? [])),
  ];
  return { target: resolveTarget(target, insecure), credentials, options: channelOptions };
}

export function greeterClient({ target, credentials, options }: Connection): GreeterClient {
  return new helloworld.Greeter(target, credentials, options);
}

/** A client of no service in particular: calls by path (the CLI's call, with its descriptors' types). */
export function genericClient({ target, credentials, options }: Connection): grpc.Client {
  return new grpc.Client(target, credentials, options);
}

export function healthClient({ target, credentials, options }: Connection): HealthClient {
  return new health.Health(target, credentials, options);
}

/** A deadline `ms` from now: every call gets one (30 s unless told otherwise). */
export function deadlineIn(ms: number = DEFAULT_DEADLINE_MS): Date {
  return new Date(Date.now() + ms);
}
