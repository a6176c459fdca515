// One HTTP/2 connection of the wire-level driver: where to connect (host and
// port from the target), how (h2c, or TLS with the system's roots plus
// --ca-file and the --authority host as server name), and the request headers
// every call on it sends, built once: :authority, content-type, te,
// grpc-timeout from the deadline, grpc-encoding, the bearer token and
// --metadata. Only the token changes, when an ID token is refreshed.
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { isIP } from 'node:net';
import { clientTls, tokenSource, TLS_PORT, type ConnectionSpec } from '../../client/connect.js';
import { grpcTimeout } from './status.js';

export interface WireAddress {
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(?:dns:(?:\/\/[^/]*\/)?)?(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?$/;

/** host[:port], [v6]:port or dns:[//server/]host[:port] → where to connect; undefined for targets only grpc-js can resolve (xds:, unix:, …). */
export function wireAddress(target: string): WireAddress | undefined {
  const match = HOST_PORT.exec(target);
  if (!match) return undefined;
  const host = (match[1] as string).replace(/^\[|\]$/g, '');
  return { host, port: match[2] === undefined ? TLS_PORT : Number(match[2]) };
}

/** Why a connection could not be opened: `code` is the system's (ECONNREFUSED, ETIMEDOUT, …) when there is one. */
export class WireConnectError extends Error {
  override name = 'WireConnectError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Refreshing an ID token this often keeps it fresh: google-auth-library renews it five minutes before it expires. */
const TOKEN_REFRESH_MS = 60_000;

/** Bytes nghttp2 may hold for one session: high, as grpc-js sets it, so large replies in flight are not refused. */
const MAX_SESSION_MEMORY_MB = 1024;

export interface WireEndpoint {
  readonly address: WireAddress;
  readonly authority: string;
  /** Opens one HTTP/2 connection, or fails within `timeoutMs` naming the cause. */
  connect(timeoutMs: number): Promise<ClientHttp2Session>;
  /** The headers of a call to `path`: one object per method, reused by every call. */
  headers(path: string): OutgoingHttpHeaders;
  /** Fetches the token (ID tokens: mints one and keeps it fresh until close()). */
  authorize(): Promise<void>;
  close(): void;
}

const hostForUrl = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);
const withoutPort = (authority: string): string => authority.replace(/^\[([^\]]+)\].*$/, '$1').replace(/:\d*$/, '');

export function wireEndpoint(target: string, spec: ConnectionSpec, deadlineMs: number): WireEndpoint {
  const address = wireAddress(target);
  if (address === undefined) throw new Error(`the http2 driver cannot reach "${target}": use --driver grpc-js`);
  const insecure = spec.insecure ?? false;
  const authority = spec.authority ?? `${hostForUrl(address.host)}:${address.port}`;
  const serverName = spec.serverName ?? withoutPort(authority);
  const url = `${insecure ? 'http' : 'https'}://${hostForUrl(address.host)}:${address.port}`;
  const options: http2.SecureClientSessionOptions = {
    maxSessionMemory: MAX_SESSION_MEMORY_MB,
    settings: { enablePush: false },
    ...(!insecure && {
      // Node refuses an IP address as a TLS server name; the certificate is then checked against the IP.
      ...(isIP(serverName) === 0 && { servername: serverName }),
      ...clientTls(spec),
      ...(spec.skipVerify === true && { rejectUnauthorized: false }),
    }),
  };
  const common: OutgoingHttpHeaders = {
    ':authority': authority,
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': 'cloudrun-grpc-load (node:http2)',
    'grpc-accept-encoding': 'identity,gzip',
    'grpc-timeout': grpcTimeout(deadlineMs),
    ...(spec.gzip === true && { 'grpc-encoding': 'gzip' }),
  };
  for (const [key, value] of spec.metadata ?? []) {
    const previous = common[key];
    common[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
  }
  if (spec.auth?.kind === 'static') common.authorization = `Bearer ${spec.auth.token}`;
  const perMethod = new Map<string, OutgoingHttpHeaders>();
  const tokens = spec.auth?.kind === 'id-token' ? tokenSource(spec.auth, target, spec.authority) : undefined;
  let refresher: NodeJS.Timeout | undefined;
  const setToken = (token: string): void => {
    common.authorization = `Bearer ${token}`;
    for (const headers of perMethod.values()) headers.authorization = common.authorization;
  };

  return {
    address,
    authority,
    connect: (timeoutMs) => openSession(url, options, timeoutMs, `${address.host}:${address.port}`),
    headers(path) {
      let headers = perMethod.get(path);
      if (headers === undefined) {
        headers = { ':method': 'POST', ':path': path, ...common };
        perMethod.set(path, headers);
      }
      return headers;
    },
    async authorize() {
      if (tokens === undefined) return;
      setToken(await tokens.token());
      refresher = setInterval(() => tokens.token().then(setToken, () => {}), TOKEN_REFRESH_MS).unref();
    },
    close() {
      clearInterval(refresher);
    },
  };
}

function openSession(url: string, options: http2.SecureClientSessionOptions, timeoutMs: number, where: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, options);
    const fail = (message: string, code: string | undefined): void => {
      clearTimeout(timer);
      session.destroy();
      reject(new WireConnectError(message, code));
    };
    const timer = setTimeout(() => fail(`no connection to ${where} within ${timeoutMs} ms (--connect-timeout)`, 'ETIMEDOUT'), timeoutMs);
    session.once('error', (error: NodeJS.ErrnoException) => fail(`cannot connect to ${where}: ${error.message}`, error.code));
    session.once('connect', () => {
      clearTimeout(timer);
      session.removeAllListeners('error');
      // From here a session error reaches each stream on it as its own error and close.
      session.on('error', () => {});
      resolve(session);
    });
  });
}
