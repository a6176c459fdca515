// The CLI against a server that verifies ID tokens, with a metadata-server
// stand-in as the only source of Google credentials.
import t from 'tap';
import { createIdTokenIssuer } from '../helpers/id-tokens.js';
import { startMetadataServer } from '../helpers/metadata-server.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const issuer = createIdTokenIssuer();
const server = await startServer(t, { AUTH_AUDIENCE: 'https://127.0.0.1' }, {}, { idTokenCertificates: issuer.certificates });
const target = ['--insecure', server.address];
/** No key file, no gcloud login, no project lookup: only what each test adds. */
const isolated = {
  CLOUDSDK_CONFIG: temporaryDirectory(t, 'cloudrun-grpc-gcloud-'),
  GOOGLE_APPLICATION_CREDENTIALS: undefined,
  GOOGLE_CLOUD_PROJECT: 'test-project',
  CLOUDRUN_GRPC_TOKEN: undefined,
};

t.test('a call without a token exits 16 UNAUTHENTICATED', async (t) => {
  const { code, stderr } = await runCli(t, ['hello', ...target], { env: isolated });
  t.equal(code, 16);
  t.match(stderr, /^UNAUTHENTICATED: missing token/);
});

t.test('--token sends a token minted elsewhere', async (t) => {
  const { code, stdout } = await runCli(t, ['hello', ...target, '--token', issuer.sign({ aud: 'https://127.0.0.1' })], { env: isolated });
  t.equal(code, 0);
  t.equal(stdout, 'Hello, world!\n');
});

t.test('--id-token mints a token from the metadata server for https://<host>', async (t) => {
  const metadataServer = await startMetadataServer(t, issuer);
  const { code, stdout } = await runCli(t, ['replies', ...target, '--id-token', '--count', '2'], {
    env: { ...isolated, GCE_METADATA_HOST: metadataServer.host },
  });
  t.equal(code, 0);
  t.equal(stdout.split('\n').length, 3);
  t.same(metadataServer.audiences, ['https://127.0.0.1']);
});

t.test('without any Google credentials, --id-token exits 16 and says where it looked', async (t) => {
  const { code, stderr } = await runCli(t, ['hello', ...target, '--audience', 'https://127.0.0.1'], {
    env: { ...isolated, METADATA_SERVER_DETECTION: 'none' },
  });
  t.equal(code, 16);
  t.match(stderr, /^UNAUTHENTICATED: .*cannot get a Google ID token for audience "https:\/\/127\.0\.0\.1" from Application Default Credentials/);
});

t.test('load --id-token mints once per thread and every call carries the token', async (t) => {
  const metadataServer = await startMetadataServer(t, issuer);
  const { code, stdout, stderr } = await runCli(t, ['load', ...target, '--id-token', '--total', '20', '-c', '2', '--connections', '2', '--json', '--deadline', '5s'], {
    env: { ...isolated, GCE_METADATA_HOST: metadataServer.host },
  });
  t.equal(code, 0);
  t.same(JSON.parse(stdout).statusCodeDistribution, { OK: 20 }, stderr);
  t.same(metadataServer.audiences, ['https://127.0.0.1']);
});

t.test('load --id-token without any Google credentials exits 1 before the run, saying where it looked', async (t) => {
  const { code, stderr } = await runCli(t, ['load', ...target, '--audience', 'https://127.0.0.1', '--total', '1'], {
    env: { ...isolated, METADATA_SERVER_DETECTION: 'none' },
  });
  t.equal(code, 1);
  t.match(stderr, /cannot get a Google ID token for audience "https:\/\/127\.0\.0\.1" from Application Default Credentials/);
});
