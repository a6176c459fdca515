import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { OAuth2Client } from 'google-auth-library';
import t, { type Test } from 'tap';
import { googleCertificates, type CertificateSource } from '../../src/server/auth.js';
import { health } from '../../src/proto.js';
import { createIdTokenIssuer } from '../helpers/id-tokens.js';
import { accessLine, startServer, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'https://hello-abc123-uc.a.run.app';
const CALLER = 'caller@test-project.iam.gserviceaccount.com';
const issuer = createIdTokenIssuer();
const validClaims = { aud: AUDIENCE, email: CALLER, email_verified: true };

async function startAuthServer(t: Test, env: Record<string, string> = {}, certificates: CertificateSource = issuer.certificates) {
  return startServer(t, { AUTH_AUDIENCE: AUDIENCE, ...env }, {}, { idTokenCertificates: certificates });
}

function sayHello(server: TestServer, authorization?: string): Promise<grpc.ServiceError | null> {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve) => server.client().SayHello({ name: 'Ada' }, metadata, (error) => resolve(error)));
}

t.test('a call with a valid Google ID token for the audience reaches the handler', async (t) => {
  const server = await startAuthServer(t);
  t.equal(await sayHello(server, `Bearer ${issuer.sign(validClaims)}`), null);
});

t.test('a call without a token ends UNAUTHENTICATED, saying the token is missing', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /missing token/);
  const line = await accessLine(server.logs, '/helloworld.Greeter/SayHello');
  t.equal(line.code, 'UNAUTHENTICATED');
  t.match(line.details, /missing token/);
});

t.test('authorization metadata that is not a bearer token ends UNAUTHENTICATED', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, 'Basic dXNlcjpwYXNz');
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /malformed authorization/);
});

t.test('a token signed by another key ends UNAUTHENTICATED for its bad signature, and is not logged', async (t) => {
  const server = await startAuthServer(t);
  const forged = createIdTokenIssuer(issuer.kid).sign(validClaims);
  const error = await sayHello(server, `Bearer ${forged}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /bad signature/);
  t.notMatch(error?.details, forged.split('.')[2] as string);
  await accessLine(server.logs, '/helloworld.Greeter/SayHello');
  t.notOk(JSON.stringify(server.logs).includes(forged.split('.')[2] as string), 'the token is in no log line');
});

t.test('a token whose key id is unknown ends UNAUTHENTICATED for its bad signature', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, `Bearer ${createIdTokenIssuer().sign(validClaims)}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /bad signature/);
});

t.test('a token for another audience ends UNAUTHENTICATED, naming both audiences', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, `Bearer ${issuer.sign({ ...validClaims, aud: 'https://other.a.run.app' })}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /wrong audience.*https:\/\/other\.a\.run\.app.*https:\/\/hello-abc123-uc\.a\.run\.app/);
});

t.test('AUTH_AUDIENCE may list several audiences, any of which is accepted', async (t) => {
  const server = await startAuthServer(t, { AUTH_AUDIENCE: `https://custom.example.com, ${AUDIENCE}` });
  t.equal(await sayHello(server, `Bearer ${issuer.sign({ ...validClaims, aud: 'https://custom.example.com' })}`), null);
  t.equal(await sayHello(server, `Bearer ${issuer.sign(validClaims)}`), null);
});

t.test('an expired token ends UNAUTHENTICATED, saying when it expired', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, `Bearer ${issuer.sign(validClaims, -3600)}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /expired token: it expired at \d{4}-\d\d-\d\dT/);
});

t.test('a token issued in the future ends UNAUTHENTICATED', async (t) => {
  const server = await startAuthServer(t);
  const now = Math.floor(Date.now() / 1000);
  const error = await sayHello(server, `Bearer ${issuer.sign({ ...validClaims, iat: now + 3600, exp: now + 7200 })}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /not yet valid/);
});

t.test('a token that lives longer than a Google ID token can ends UNAUTHENTICATED', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, `Bearer ${issuer.sign(validClaims, 3 * 24 * 3600)}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /lifetime too long/);
});

t.test('a token from another issuer ends UNAUTHENTICATED', async (t) => {
  const server = await startAuthServer(t);
  const error = await sayHello(server, `Bearer ${issuer.sign({ ...validClaims, iss: 'https://evil.example' })}`);
  t.equal(error?.code, grpc.status.UNAUTHENTICATED);
  t.match(error?.details, /wrong issuer "https:\/\/evil\.example"/);
});

t.test('a bearer value that is not a JWT ends UNAUTHENTICATED as malformed', async (t) => {
  const server = await startAuthServer(t);
  for (const token of ['not-a-jwt', 'a.b.c', `x.${Buffer.from('null').toString('base64url')}.y`]) {
    const error = await sayHello(server, `Bearer ${token}`);
    t.equal(error?.code, grpc.status.UNAUTHENTICATED, token);
    t.match(error?.details, /malformed token/, token);
  }
});

t.test('a bearer value that is not a JWT is refused before any certificate fetch', async (t) => {
  let fetches = 0;
  const server = await startAuthServer(t, {}, () => {
    fetches += 1;
    return Promise.reject(new Error('connect ETIMEDOUT'));
  });
  for (const token of ['garbage', 'a.b', 'a.b.c.d', 'a!.b.c']) {
    const error = await sayHello(server, `Bearer ${token}`);
    t.equal(error?.code, grpc.status.UNAUTHENTICATED, token);
    t.match(error?.details, /malformed token/, token);
  }
  t.equal(fetches, 0, 'no certificate fetched for a token that cannot be one');
});

t.test('when the signing certificates cannot be fetched, calls end UNAVAILABLE', async (t) => {
  const server = await startAuthServer(t, {}, () => Promise.reject(new Error('connect ETIMEDOUT')));
  const error = await sayHello(server, `Bearer ${issuer.sign(validClaims)}`);
  t.equal(error?.code, grpc.status.UNAVAILABLE);
  t.match(error?.details, /signing certificates failed \(connect ETIMEDOUT\)/);
});

t.test('streaming calls are checked too: LotsOfReplies without a token sends nothing', async (t) => {
  const server = await startAuthServer(t);
  const call = server.client().LotsOfReplies({ name: 'Ada', count: 3 });
  let replies = 0;
  call.on('data', () => (replies += 1));
  const error = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  t.equal(error.code, grpc.status.UNAUTHENTICATED);
  t.equal(replies, 0);
});

t.test('health stays open without a token', async (t) => {
  const server = await startAuthServer(t);
  const client = new health.Health(server.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const response = await new Promise<{ status: string }>((resolve, reject) =>
    client.Check({ service: '' }, (error, reply) => (error ? reject(error) : resolve(reply!))),
  );
  t.equal(response.status, 'SERVING');
});

t.test('reflection stays open without a token', async (t) => {
  const server = await startAuthServer(t);
  const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const identity = (bytes: Buffer): Buffer => bytes;
  const call = client.makeBidiStreamRequest('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', identity, identity);
  // ServerReflectionRequest { list_services: "" }: field 7, length-delimited, empty.
  call.end(Buffer.from([0x3a, 0x00]));
  const replies: Buffer[] = [];
  call.on('data', (reply: Buffer) => replies.push(reply));
  const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  t.equal(status.code, grpc.status.OK);
  t.equal(replies.length, 1);
  t.match(replies[0]?.toString('latin1'), /helloworld\.Greeter/);
});

t.test('AUTH_ALLOWED_EMAILS lets listed service accounts in, case-insensitively', async (t) => {
  const server = await startAuthServer(t, { AUTH_ALLOWED_EMAILS: `other@x.iam.gserviceaccount.com,${CALLER.toUpperCase()}` });
  t.equal(await sayHello(server, `Bearer ${issuer.sign(validClaims)}`), null);
});

t.test('AUTH_ALLOWED_EMAILS turns away other callers with PERMISSION_DENIED', async (t) => {
  const server = await startAuthServer(t, { AUTH_ALLOWED_EMAILS: 'other@x.iam.gserviceaccount.com' });
  const error = await sayHello(server, `Bearer ${issuer.sign(validClaims)}`);
  t.equal(error?.code, grpc.status.PERMISSION_DENIED);
  t.match(error?.details, `${CALLER} is not allowed`);
});

t.test('AUTH_ALLOWED_EMAILS turns away tokens without a verified email', async (t) => {
  const server = await startAuthServer(t, { AUTH_ALLOWED_EMAILS: CALLER });
  for (const claims of [{ aud: AUDIENCE }, { aud: AUDIENCE, email: CALLER, email_verified: false }]) {
    const error = await sayHello(server, `Bearer ${issuer.sign(claims)}`);
    t.equal(error?.code, grpc.status.PERMISSION_DENIED);
    t.match(error?.details, /no verified email/);
  }
});

t.test("googleCertificates fetches Google's certificate list once and caches it as Cache-Control allows", async (t) => {
  const pem = (await issuer.certificates())[issuer.kid];
  let fetches = 0;
  const certServer = createHttpServer((_request, response) => {
    fetches += 1;
    response.setHeader('cache-control', 'public, max-age=3600');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ [issuer.kid]: pem }));
  });
  await new Promise<void>((resolve) => certServer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => certServer.close());
  const url = `http://127.0.0.1:${(certServer.address() as AddressInfo).port}/oauth2/v1/certs`;
  const certificates = googleCertificates(new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: url } }));
  t.same(await Promise.all([certificates(), certificates()]), [{ [issuer.kid]: pem }, { [issuer.kid]: pem }]);
  t.same(await certificates(), { [issuer.kid]: pem });
  t.equal(fetches, 1, 'one fetch for concurrent calls, then the cache');
});
