// The one connection factory, shared by the CLI, the load harness and the
// tests: TLS with the system's roots by default (as Cloud Run's :443 needs),
// plaintext on request, `:authority` override, an extra CA for private CAs.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { GreeterClient } from '../generated/helloworld/Greeter.js';
import type { HealthClient } from '../generated/grpc/health/v1/Health.js';
import { health, helloworld } from '../proto.js';
import { registerXdsResolverFor } from './xds.js';

export const TLS_PORT = 443;
export const DEFAULT_DEADLINE_MS = 30_000;

export interface ConnectOptions {
  /** Plaintext HTTP/2 (h2c): local servers and cluster-local Knative addresses. */
  readonly insecure?: boolean;
  /** `:authority` (and TLS server name) to send instead of the target's host. */
  readonly authority?: string;
  /** PEM file of an extra root CA to trust, besides the system's. */
  readonly caFile?: string;
  /** Extra channel options (compression, keepalive, message limits, …). */
  readonly channelOptions?: grpc.ChannelOptions;
}

export interface Connection {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
}

/**
 * The gRPC target for a user's `host[:port]`: with TLS and no port, 443 (where
 * Cloud Run and Knative ingresses listen). Targets with a scheme (dns:, xds:,
 * unix:) pass through unchanged.
 */
const SCHEME = /^(dns|xds|unix|unix-abstract|ipv4|ipv6|vsock):/;
const HOST_WITH_PORT = /^(\[[^\]]+\]|[^:[\]]+):\d+$/;

export function resolveTarget(target: string, insecure: boolean): string {
  if (SCHEME.test(target) || HOST_WITH_PORT.test(target) || insecure) return target;
  return `${target}:${TLS_PORT}`;
}

export function connect(target: string, options: ConnectOptions = {}): Connection {
  registerXdsResolverFor(target);
  const insecure = options.insecure ?? false;
  const channelOptions: grpc.ChannelOptions = { ...options.channelOptions };
  if (options.authority !== undefined) {
    channelOptions['grpc.default_authority'] = options.authority;
    if (!insecure) channelOptions['grpc.ssl_target_name_override'] = options.authority;
  }
  const credentials = insecure
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(
        options.caFile === undefined ? null : Buffer.from(`${rootCertificates.join('\n')}\n${readFileSync(options.caFile, 'utf8')}`),
      );
  return { target: resolveTarget(target, insecure), credentials, options: channelOptions };
}

export function greeterClient({ target, credentials, options }: Connection): GreeterClient {
  return new helloworld.Greeter(target, credentials, options);
}

export function healthClient({ target, credentials, options }: Connection): HealthClient {
  return new health.Health(target, credentials, options);
}

/** A deadline `ms` from now: every call gets one (30 s unless told otherwise). */
export function deadlineIn(ms: number = DEFAULT_DEADLINE_MS): Date {
  return new Date(Date.now() + ms);
}
