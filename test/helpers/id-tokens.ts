// Google-shaped ID tokens signed with a key made here, and the matching
// certificate source for the server's verifier: no traffic to Google.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { CertificateSource } from '../../src/server/auth.js';

export interface IdTokenIssuer {
  readonly kid: string;
  /** What the server's verifier is given instead of Google's certificates. */
  readonly certificates: CertificateSource;
  /** A signed RS256 JWT: Google's issuer, issued now, valid `lifetimeS` (3600), with `claims` on top. */
  sign(claims: Record<string, unknown>, lifetimeS?: number): string;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function createIdTokenIssuer(kid: string = randomUUID()): IdTokenIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    kid,
    certificates: () => Promise.resolve({ [kid]: pem }),
    sign: (claims, lifetimeS = 3600) => signJwt(privateKey, kid, claims, lifetimeS),
  };
}

function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>, lifetimeS: number): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url({ alg: 'RS256', typ: 'JWT', kid });
  const payload = base64url({ iss: 'https://accounts.google.com', iat: now, exp: now + lifetimeS, ...claims });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
