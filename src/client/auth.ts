// Where a call's bearer token comes from, and how it rides on every call.
// Google ID tokens come from Application Default Credentials through
// google-auth-library (a service-account key, gcloud's application-default
// login, impersonation, or the metadata server on Cloud Run, GCE and GKE); the
// library reuses a token until five minutes before it expires. A static token
// is one minted elsewhere (`gcloud auth print-identity-token`).
import * as grpc from '@grpc/grpc-js';
import { Compute, GoogleAuth, Impersonated, JWT, UserRefreshClient, type IdTokenClient } from 'google-auth-library';

export type CallAuth =
  /** Mint Google ID tokens for `audience` (default `https://<host>`: see defaultAudience in connect.ts). */
  | { readonly kind: 'id-token'; readonly audience?: string; readonly googleAuth?: GoogleAuth }
  /** Send this token as it is. */
  | { readonly kind: 'static'; readonly token: string };

export interface TokenSource {
  /** The token to send now: a cached one while it is fresh, else a new one. */
  token(): Promise<string>;
}

/** A token that could not be had; its message names the credential source tried and what failed. */
export class TokenError extends Error {
  override name = 'TokenError';
  /** Read by grpc-js as the status of the call that needed the token. */
  readonly code = grpc.status.UNAUTHENTICATED;
}

/** What google-auth-library found, in words a person recognises. */
function describeCredentials(client: unknown): string {
  if (client instanceof Compute) return 'the metadata server (Cloud Run, GKE workload identity, Compute Engine)';
  if (client instanceof JWT) return `the service-account key of ${client.email ?? 'an unnamed account'}`;
  if (client instanceof Impersonated) return 'impersonated service-account credentials';
  if (client instanceof UserRefreshClient) return "gcloud's application-default user credentials";
  return `${(client as object).constructor.name} credentials`;
}

const NO_CREDENTIALS =
  'Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server)';

/**
 * Google ID tokens for `audience`. Calls that need a token while one is being
 * minted share that one request, so a burst of calls mints once.
 */
export function googleIdTokens(audience: string, googleAuth: GoogleAuth = new GoogleAuth()): TokenSource {
  let client: IdTokenClient | undefined;
  let source = NO_CREDENTIALS;
  let pending: Promise<string> | undefined;

  async function mint(): Promise<string> {
    try {
      if (client === undefined) {
        source = describeCredentials(await googleAuth.getClient());
        client = await googleAuth.getIdTokenClient(audience);
      }
      // IdTokenClient always sets it; a missing header fails here and is reported like any other failure.
      const authorization = (await client.getRequestHeaders()).get('authorization') as string;
      return authorization.replace(/^Bearer /, '');
    } catch (error) {
      throw new TokenError(`cannot get a Google ID token for audience "${audience}" from ${source}: ${(error as Error).message}`);
    }
  }

  return {
    token() {
      pending ??= mint().finally(() => (pending = undefined));
      return pending;
    },
  };
}

export function staticToken(token: string): TokenSource {
  return { token: () => Promise.resolve(token) };
}

/**
 * Call credentials that put `authorization: Bearer <token>` on each call. The
 * connection attaches them per call (see connect.ts), which grpc-js allows on
 * plaintext channels too, where composing them into the channel credentials is refused.
 */
export function bearerCredentials(tokens: TokenSource): grpc.CallCredentials {
  return grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    tokens.token().then(
      (token) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${token}`);
        callback(null, metadata);
      },
      (error: Error) => callback(error),
    );
  });
}
