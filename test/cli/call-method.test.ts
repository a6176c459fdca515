// `call`: any method by name against the project's server with the interop TestService on:
// every shape, the descriptors from reflection or --proto, plaintext and TLS, an ID token, and
// the exit code that is the call's status. Run in this process (src/cli.ts main), but spawned as
// a user runs it where the environment matters (the ID token's credentials).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { createIdTokenIssuer } from '../helpers/id-tokens.js';
import { startMetadataServer } from '../helpers/metadata-server.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const server = await startServer(t, { INTEROP: 'on' });
const target = ['--insecure', server.address];
const REFLECTION = /ServerReflection\/ServerReflectionInfo$/;
const jsonLines = (stdout: string): unknown[] => stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);

t.test('a unary call prints its reply as one line of JSON, its types from reflection', async (t) => {
  const { code, stdout, stderr } = await runCliInProcess(['call', ...target, 'helloworld.Greeter/SayHello', '-d', '{"name": "Ada"}']);
  t.equal(code, 0, stderr);
  t.equal(stdout, '{"message":"Hello, Ada!","sequence":1}\n');
  t.ok(server.logs.some((line) => REFLECTION.test(String(line.method))), 'the server was asked for the descriptors');
});

t.test('a server stream prints one line per reply', async (t) => {
  const { code, stdout } = await runCliInProcess(['call', ...target, 'helloworld.Greeter.LotsOfReplies', '-d', '{"name": "Ada", "count": 3}']);
  t.equal(code, 0);
  t.same(jsonLines(stdout).map((reply) => (reply as { sequence: number }).sequence), [1, 2, 3]);
});

t.test('a client stream sends every message of the --data-file, one after another', async (t) => {
  const file = path.join(temporaryDirectory(t, 'cloudrun-grpc-call-'), 'names.json');
  writeFileSync(file, '{"name": "a"}\n{"name": "b"}\n[{"name": "c"}]\n');
  const { code, stdout } = await runCliInProcess(['call', ...target, 'helloworld.Greeter/LotsOfGreetings', '-D', file]);
  t.equal(code, 0);
  t.same(jsonLines(stdout), [{ message: 'Hello, a, b, c! (3 greetings received)', sequence: 3 }]);
});

t.test('a bidi stream reads its messages from stdin with -D -', async (t) => {
  const { code, stdout } = await runCliInProcess(['call', ...target, 'helloworld.Greeter/BidiHello', '-D', '-'], { stdin: '{"name":"a"}\n{"name":"b"}\n' });
  t.equal(code, 0);
  t.same(jsonLines(stdout), [{ message: 'Hello, a!', sequence: 1 }, { message: 'Hello, b!', sequence: 2 }]);
});

t.test('the interop TestService: a unary reply with a payload, bytes as base64', async (t) => {
  const { code, stdout } = await runCliInProcess(['call', ...target, 'grpc.testing.TestService/UnaryCall', '-d', '{"responseSize": 3}']);
  t.equal(code, 0);
  t.same(jsonLines(stdout), [{ payload: { body: 'AAAA' } }]);
});

t.test('the interop TestService: a full-duplex stream answers each message with the size asked', async (t) => {
  const messages = [1, 2].map((size) => JSON.stringify({ responseParameters: [{ size }] })).join(' ');
  const { code, stdout } = await runCliInProcess(['call', ...target, 'grpc.testing.TestService/FullDuplexCall', '-d', messages]);
  t.equal(code, 0);
  t.same(jsonLines(stdout), [{ payload: { body: 'AA==' } }, { payload: { body: 'AAA=' } }]);
});

t.test('the exit code is the status the server sent, its message on stderr', async (t) => {
  const { code, stdout, stderr } = await runCliInProcess(['call', ...target, 'grpc.testing.TestService/UnaryCall', '-d', '{"responseStatus": {"code": 7, "message": "not you"}}']);
  t.equal(code, 7);
  t.equal(stdout, '');
  t.equal(stderr, 'PERMISSION_DENIED: not you\n');
});

t.test('with --proto the server is not asked for descriptors', async (t) => {
  const before = server.logs.filter((line) => REFLECTION.test(String(line.method))).length;
  const { code, stdout } = await runCliInProcess(['call', ...target, '--proto', 'proto/helloworld.proto', 'helloworld.Greeter/SayHello', '-d', '{"name": "Bo"}']);
  t.equal(code, 0);
  t.equal(stdout, '{"message":"Hello, Bo!","sequence":1}\n');
  t.equal(server.logs.filter((line) => REFLECTION.test(String(line.method))).length, before);
});

t.test('usage errors exit 2 and name what is wrong', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['a field the message lacks', ['helloworld.Greeter/SayHello', '-d', '{"nom": "Ada"}'], /--data: message 1: field "nom": helloworld.HelloRequest has no such field/],
    ['two messages for a unary method', ['helloworld.Greeter/SayHello', '-d', '{} {}'], /takes one request message, not 2/],
    ['text that is not JSON', ['helloworld.Greeter/SayHello', '-d', 'name=Ada'], /--data: value 1: expected a JSON object or array/],
    ['an unknown method', ['helloworld.Greeter/SayGoodbye', '--proto', 'proto/helloworld.proto'], /helloworld.Greeter has no method "SayGoodbye" \(methods: SayHello/],
    ['an unknown service', ['no.Such/Method'], /the server does not know the service "no.Such" \(it serves: .*grpc.testing.TestService/],
  ];
  for (const [what, args, message] of cases) {
    const { code, stderr } = await runCliInProcess(['call', ...target, ...args]);
    t.equal(code, 2, what);
    t.match(stderr, message, what);
  }
});

t.test('over TLS, verified against a private CA', { skip: opensslMissing }, async (t) => {
  const pki = createTestPki(t);
  const tls = await startServer(t, { TLS_CERT_FILE: pki.certFile, TLS_KEY_FILE: pki.keyFile, INTEROP: 'on' });
  const { code, stdout, stderr } = await runCliInProcess(['call', '--ca-file', pki.caFile, `localhost:${tls.port}`, 'grpc.testing.TestService/EmptyCall']);
  t.equal(code, 0, stderr);
  t.equal(stdout, '{}\n');
});

t.test('with an ID token minted from the metadata server; without one, 16', async (t) => {
  const issuer = createIdTokenIssuer();
  const secured = await startServer(t, { AUTH_AUDIENCE: 'https://127.0.0.1', INTEROP: 'on' }, {}, { idTokenCertificates: issuer.certificates });
  const metadataServer = await startMetadataServer(t, issuer);
  const isolated = { CLOUDSDK_CONFIG: temporaryDirectory(t, 'cloudrun-grpc-gcloud-'), GOOGLE_APPLICATION_CREDENTIALS: undefined, GOOGLE_CLOUD_PROJECT: 'test-project', CLOUDRUN_GRPC_TOKEN: undefined };
  const args = ['call', '--insecure', secured.address, 'grpc.testing.TestService/UnaryCall'];
  const signedIn = await runCli(t, [...args, '--id-token'], { env: { ...isolated, GCE_METADATA_HOST: metadataServer.host }, timeoutMs: 60_000 });
  t.equal(signedIn.code, 0, signedIn.stderr);
  t.same(jsonLines(signedIn.stdout), [{ payload: {} }]);
  t.same(metadataServer.audiences, ['https://127.0.0.1', 'https://127.0.0.1'], 'a token for reflection, a token for the call');
  const anonymous = await runCli(t, args, { env: isolated, timeoutMs: 60_000 });
  t.equal(anonymous.code, 16);
  t.match(anonymous.stderr, /^UNAUTHENTICATED: /);
});
