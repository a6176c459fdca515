// A stand-in for the GCE metadata server on 127.0.0.1:0, which google-auth-library
// uses when GCE_METADATA_HOST points at it: it answers the detection ping and
// mints ID tokens for the audience asked, counting each one it mints.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import type { IdTokenIssuer } from './id-tokens.js';

export const SERVICE_ACCOUNT = 'caller@test-project.iam.gserviceaccount.com';

export interface MetadataServer {
  /** host:port, for GCE_METADATA_HOST. */
  readonly host: string;
  /** The audience of each identity request, in order. */
  readonly audiences: string[];
  /** Seconds each minted token lives (3600). */
  lifetimeS: number;
  /** When set, identity requests fail with this HTTP status. */
  failWith: number | undefined;
}

export async function startMetadataServer(t: Test, issuer: IdTokenIssuer): Promise<MetadataServer> {
  const state = { audiences: [] as string[], lifetimeS: 3600, failWith: undefined as number | undefined };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://metadata');
    response.setHeader('Metadata-Flavor', 'Google');
    if (url.pathname === '/computeMetadata/v1/instance/service-accounts/default/identity') {
      const audience = url.searchParams.get('audience') ?? '';
      state.audiences.push(audience);
      if (state.failWith !== undefined) return void response.writeHead(state.failWith).end('no identity for you');
      const token = issuer.sign({ aud: audience, email: SERVICE_ACCOUNT, email_verified: true, azp: '1234' }, state.lifetimeS);
      return void response.end(token);
    }
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      return void response.end('');
    }
    response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { host: `127.0.0.1:${port}` });
}
