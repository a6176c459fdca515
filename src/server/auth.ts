// Google ID-token verification for Knative, where no IAM sits in front of the
// service (on managed Cloud Run, IAM checks the token before the call arrives).
// One server interceptor: every call but health and reflection must carry
// `authorization: Bearer <ID token>` signed by Google, for our audience, not
// expired, and (when a list is configured) from an allowed service account.
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import type { LoginTicket, OAuth2Client } from 'google-auth-library';
import type { AuthConfig } from '../config.js';

/**
 * google-auth-library is loaded only when a server verifies tokens: loading it takes about 100 ms, which
 * every cold start without AUTH_AUDIENCE would otherwise pay. It is CommonJS, so a synchronous require keeps
 * createServer() synchronous.
 */
function newOAuth2Client(): OAuth2Client {
  const library = createRequire(import.meta.url)('google-auth-library') as { OAuth2Client: typeof OAuth2Client };
  return new library.OAuth2Client();
}

/** kid → PEM certificate or public key, as Google publishes them at oauth2/v1/certs. */
export type Certificates = Record<string, string>;
/** Where signing keys come from: Google's published certificates (cached), or local ones in tests. */
export type CertificateSource = () => Promise<Certificates>;

/** Google's ID-token issuers. */
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

/** Probes and tools must reach these without a token. */
const OPEN_SERVICES = ['/grpc.health.v1.Health/', '/grpc.reflection.'];

/**
 * Google's published certificates, fetched by `client` and cached as long as Google's Cache-Control
 * allows; calls that arrive while they are being fetched share that one fetch.
 */
export function googleCertificates(client: OAuth2Client): CertificateSource {
  let pending: Promise<Certificates> | undefined;
  return () => {
    pending ??= client
      .getFederatedSignonCertsAsync()
      .then(({ certs }) => certs as Certificates)
      .finally(() => (pending = undefined));
    return pending;
  };
}

type Verdict = { code: grpc.status.OK } | { code: grpc.status; details: string };

interface Claims {
  aud?: unknown;
  exp?: unknown;
  iss?: unknown;
  email?: unknown;
}

/** The token's claims without verifying them, to explain a rejection; {} when they cannot be read. */
function unverifiedClaims(token: string): Claims {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Claims) : {};
  } catch {
    return {};
  }
}

/** Three base64url parts, the first a JSON object (the JWT header): the shape any signed JWT has. */
function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]+$/.test(part))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null;
  } catch {
    return false;
  }
}

/**
 * Why google-auth-library rejected a token, in words a caller can act on. Its
 * messages embed the token itself, so they are never passed on or logged.
 */
function rejectionReason(message: string, token: string, config: AuthConfig): string {
  const claims = unverifiedClaims(token);
  if (/^Wrong recipient/.test(message)) {
    return `wrong audience: the token is for ${JSON.stringify(claims.aud)}, this service accepts ${config.audiences.join(', ')}`;
  }
  if (/^Token used too late/.test(message)) {
    // The library has checked that exp is a number of seconds before it compares it.
    return `expired token: it expired at ${new Date(Number(claims.exp) * 1000).toISOString()}; mint a fresh one`;
  }
  if (/^Token used too early/.test(message)) return 'token not yet valid: its issue time is in the future (check the clocks)';
  if (/^Invalid issuer/.test(message)) {
    return `wrong issuer ${JSON.stringify(claims.iss)}: only Google ID tokens (${GOOGLE_ISSUERS.join(' or ')}) are accepted`;
  }
  if (/^(Invalid token signature|No pem found)/.test(message)) {
    return 'bad signature: the token is not signed by one of Google\'s current keys';
  }
  if (/^Expiration time too far/.test(message)) return 'token lifetime too long: Google ID tokens live at most one day';
  return 'malformed token: expected a Google ID token (a JWT: header.payload.signature)';
}

/** Checks one call's metadata; resolves to OK, or to the status that ends the call. */
async function verifyCall(
  metadata: grpc.Metadata,
  config: AuthConfig,
  verifier: OAuth2Client,
  certificates: CertificateSource,
): Promise<Verdict> {
  const header = metadata.get('authorization')[0];
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) {
    return {
      code: grpc.status.UNAUTHENTICATED,
      details:
        header === undefined
          ? 'missing token: send "authorization: Bearer <Google ID token>" (cloudrun-grpc --id-token, or --token)'
          : 'malformed authorization metadata: expected "Bearer <Google ID token>"',
    };
  }
  const token = match[1] as string;
  // Not a JWT at all: refused here, without fetching Google's certificates for nothing.
  if (!looksLikeJwt(token)) return { code: grpc.status.UNAUTHENTICATED, details: rejectionReason('', token, config) };
  let certs: Certificates;
  try {
    certs = await certificates();
  } catch (error) {
    return {
      code: grpc.status.UNAVAILABLE,
      details: `cannot check the token: fetching Google's signing certificates failed (${(error as Error).message})`,
    };
  }
  let ticket: LoginTicket;
  try {
    ticket = await verifier.verifySignedJwtWithCertsAsync(token, certs, [...config.audiences], GOOGLE_ISSUERS);
  } catch (error) {
    return { code: grpc.status.UNAUTHENTICATED, details: rejectionReason((error as Error).message, token, config) };
  }
  if (config.allowedEmails.length === 0) return { code: grpc.status.OK };
  const payload = ticket.getPayload();
  const email = payload?.email?.toLowerCase();
  if (email === undefined || payload?.email_verified !== true) {
    return {
      code: grpc.status.PERMISSION_DENIED,
      details: 'the token carries no verified email; mint it with the email claim (metadata server format=full, gcloud --include-email)',
    };
  }
  if (!config.allowedEmails.includes(email)) {
    return { code: grpc.status.PERMISSION_DENIED, details: `${email} is not allowed to call this service (AUTH_ALLOWED_EMAILS)` };
  }
  return { code: grpc.status.OK };
}

/**
 * The server interceptor that lets a call reach its handler only once its token
 * checks out. A rejected call ends with its status before the handler starts;
 * the access log records the status and reason, never the token.
 */
export function createAuthInterceptor(config: AuthConfig, localCertificates?: CertificateSource): grpc.ServerInterceptor {
  // One client both fetches Google's certificates and verifies tokens against them.
  const verifier = newOAuth2Client();
  const certificates = localCertificates ?? googleCertificates(verifier);
  return (methodDescriptor, next) => {
    const open = OPEN_SERVICES.some((prefix) => methodDescriptor.path.startsWith(prefix));
    const call: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(next, {
      start: (proceed) =>
        proceed({
          onReceiveMetadata: (metadata, forward) => {
            if (open) return forward(metadata);
            void verifyCall(metadata, config, verifier, certificates).then((verdict) =>
              verdict.code === grpc.status.OK ? forward(metadata) : call.sendStatus(verdict),
            );
          },
        }),
    });
    return call;
  };
}
