// ID tokens end to end: google-auth-library finds "the metadata server" at
// GCE_METADATA_HOST (a stand-in here), the connection sends what it mints, and
// the real server verifies it against the stand-in's signing key.
import * as grpc from '@grpc/grpc-js';
import { Compute, GoogleAuth, Impersonated, JWT, OAuth2Client, UserRefreshClient } from 'google-auth-library';
import t, { type Test } from 'tap';
import { googleIdTokens, TokenError } from '../../src/client/auth.js';
import { connect, defaultAudience, greeterClient, type ConnectOptions } from '../../src/client/connect.js';
import { createIdTokenIssuer } from '../helpers/id-tokens.js';
import { startMetadataServer } from '../helpers/metadata-server.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const issuer = createIdTokenIssuer();
const metadataServer = await startMetadataServer(t, issuer);
// Only the stand-in may answer: no key file, no gcloud login, no project lookup through gcloud.
process.env.GCE_METADATA_HOST = metadataServer.host;
process.env.CLOUDSDK_CONFIG = temporaryDirectory(t, 'cloudrun-grpc-gcloud-');
process.env.GOOGLE_CLOUD_PROJECT = 'test-project';
delete process.env.GOOGLE_APPLICATION_CREDENTIALS;

t.beforeEach(() => {
  metadataServer.audiences.length = 0;
  metadataServer.lifetimeS = 3600;
  metadataServer.failWith = undefined;
});

/** A server that verifies tokens for `audience`, and SayHello through a connection to it. */
async function verifyingServer(t: Test, audience: string, options: Omit<ConnectOptions, 'insecure'>) {
  const server = await startServer(t, { AUTH_AUDIENCE: audience }, {}, { idTokenCertificates: issuer.certificates });
  const client = greeterClient(connect(server.address, { insecure: true, ...options }));
  t.teardown(() => client.close());
  return (): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => client.SayHello({ name: 'Ada' }, (error) => resolve(error)));
}

t.test('the audience defaults to https:// and the host without the port; the authority wins', async (t) => {
  t.equal(defaultAudience('hello-abc-uc.a.run.app'), 'https://hello-abc-uc.a.run.app');
  t.equal(defaultAudience('hello-abc-uc.a.run.app:443'), 'https://hello-abc-uc.a.run.app');
  t.equal(defaultAudience('[::1]:8080'), 'https://[::1]');
  t.equal(defaultAudience('dns:///hello.example.com:443'), 'https://hello.example.com');
  t.equal(defaultAudience('dns://8.8.8.8/hello.example.com'), 'https://hello.example.com');
  t.equal(defaultAudience('xds:///hello'), 'https://hello');
  t.equal(defaultAudience('10.0.0.7:80', 'hello.default.example.com'), 'https://hello.default.example.com');
});

t.test('the connection mints one ID token for https://<host> and reuses it across calls', async (t) => {
  const call = await verifyingServer(t, 'https://127.0.0.1', { auth: { kind: 'id-token' } });
  for (let i = 0; i < 5; i += 1) t.equal(await call(), null);
  const burst = await Promise.all(Array.from({ length: 10 }, call));
  t.same(burst, Array(10).fill(null), 'ten concurrent calls succeed');
  t.same(metadataServer.audiences, ['https://127.0.0.1'], 'minted once, for the right audience');
});

t.test('a burst of first calls shares one mint', async (t) => {
  const call = await verifyingServer(t, 'https://127.0.0.1', { auth: { kind: 'id-token' } });
  t.same(await Promise.all(Array.from({ length: 8 }, call)), Array(8).fill(null));
  t.equal(metadataServer.audiences.length, 1);
});

t.test('a token close to expiry is replaced before the next call', async (t) => {
  // google-auth-library refreshes within five minutes of expiry: a two-minute token is always due.
  metadataServer.lifetimeS = 120;
  const call = await verifyingServer(t, 'https://127.0.0.1', { auth: { kind: 'id-token' } });
  for (let i = 0; i < 3; i += 1) t.equal(await call(), null);
  t.equal(metadataServer.audiences.length, 3);
});

t.test('the token is minted for the audience given, or for the authority', async (t) => {
  const explicit = await verifyingServer(t, 'https://hello-abc-uc.a.run.app', {
    auth: { kind: 'id-token', audience: 'https://hello-abc-uc.a.run.app' },
  });
  t.equal(await explicit(), null);
  const viaIngress = await verifyingServer(t, 'https://hello.default.example.com', {
    auth: { kind: 'id-token' },
    authority: 'hello.default.example.com',
  });
  t.equal(await viaIngress(), null);
  t.same(metadataServer.audiences, ['https://hello-abc-uc.a.run.app', 'https://hello.default.example.com']);
});

t.test('a token the metadata server refuses ends the call UNAUTHENTICATED, naming source and audience; the next call retries', async (t) => {
  metadataServer.failWith = 403;
  const call = await verifyingServer(t, 'https://127.0.0.1', { auth: { kind: 'id-token' } });
  const error = await call();
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /cannot get a Google ID token for audience "https:\/\/127\.0\.0\.1" from the metadata server/);
  metadataServer.failWith = undefined;
  t.equal(await call(), null);
});

t.test('a static token is sent as it is', async (t) => {
  const call = await verifyingServer(t, 'https://127.0.0.1', { auth: { kind: 'static', token: issuer.sign({ aud: 'https://127.0.0.1' }) } });
  t.equal(await call(), null);
  t.equal(metadataServer.audiences.length, 0, 'nothing minted');
});

t.test('auth errors name the kind of credentials google-auth-library found', async (t) => {
  const found: [object, RegExp][] = [
    [new Compute(), /from the metadata server/],
    [new JWT({ email: 'ci@p.iam.gserviceaccount.com' }), /from the service-account key of ci@p\.iam\.gserviceaccount\.com/],
    [new JWT({}), /from the service-account key of an unnamed account/],
    [new Impersonated({ sourceClient: new OAuth2Client() }), /from impersonated service-account credentials/],
    [new UserRefreshClient(), /from gcloud's application-default user credentials/],
    [new OAuth2Client(), /from OAuth2Client credentials/],
  ];
  for (const [client, message] of found) {
    const googleAuth = {
      getClient: () => Promise.resolve(client),
      getIdTokenClient: () => Promise.reject(new Error('Cannot fetch ID token in this environment')),
    } as unknown as GoogleAuth;
    const error = await googleIdTokens('https://a.run.app', googleAuth)
      .token()
      .catch((e: unknown) => e);
    t.type(error, TokenError);
    t.match((error as TokenError).message, message);
    t.match((error as TokenError).message, /Cannot fetch ID token in this environment/);
  }
});

t.test('with no credentials at all, the error lists where Application Default Credentials were looked for', async (t) => {
  const googleAuth = { getClient: () => Promise.reject(new Error('Could not load the default credentials.')) } as unknown as GoogleAuth;
  const error = (await googleIdTokens('https://a.run.app', googleAuth)
    .token()
    .catch((e: unknown) => e)) as TokenError;
  t.equal(error.code, grpc.status.UNAUTHENTICATED);
  t.match(error.message, /from Application Default Credentials \(GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server\): Could not load/);
});
