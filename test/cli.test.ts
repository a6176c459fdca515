// The command line run in this process through main(argv, io): dispatch, help,
// usage errors, and each command's outcomes against real servers. (test/cli/
// spawns the real bin for the shapes and exit codes.)
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import t from 'tap';
import { COMMANDS, main } from '../src/cli.js';
import { closedPort, memoryIo } from './helpers/cli.js';
import { createIdTokenIssuer } from './helpers/id-tokens.js';
import { createTestPki, opensslMissing } from './helpers/pki.js';
import { startServer } from './helpers/server.js';

const server = await startServer(t);
const target = ['--insecure', server.address];

async function cli(argv: string[], stdin = '', env: Record<string, string> = {}) {
  const { io, output } = memoryIo(stdin, env);
  const code = await main(argv, io);
  return { code, ...output };
}

t.test('--help lists every command and exits 0', async (t) => {
  for (const flag of ['--help', '-h', 'help']) {
    const { code, stdout } = await cli([flag]);
    t.equal(code, 0);
    for (const { name } of COMMANDS) t.match(stdout, new RegExp(`^  ${name} `, 'm'));
  }
});

t.test('no command prints the usage on stderr and exits 2', async (t) => {
  const { code, stdout, stderr } = await cli([]);
  t.equal(code, 2);
  t.equal(stdout, '');
  t.match(stderr, /^Usage: cloudrun-grpc <command>/);
});

t.test('an unknown command exits 2, naming it', async (t) => {
  const { code, stderr } = await cli(['greet']);
  t.equal(code, 2);
  t.match(stderr, /unknown command "greet"/);
});

t.test("each command's --help prints its usage and exits 0, whatever else is on the line", async (t) => {
  for (const { name } of COMMANDS) {
    const { code, stdout } = await cli([name, '--nonsense', '--help']);
    t.equal(code, 0, name);
    t.match(stdout, new RegExp(`^Usage: cloudrun-grpc ${name}`), name);
  }
  t.match((await cli(['replies', '-h'])).stdout, /--interval-ms MS[\s\S]*--id-token[\s\S]*--deadline DURATION/);
});

t.test('--help after -- is an argument, not a request for help', async (t) => {
  const { code, stdout } = await cli(['hello', ...target, '--', '--help']);
  t.equal(code, 0);
  t.equal(stdout, 'Hello, --help!\n');
});

t.test('a usage error exits 2 with the problem and a pointer to --help', async (t) => {
  const { code, stderr } = await cli(['hello', '--token', 'a', '--id-token', 'localhost']);
  t.equal(code, 2);
  t.match(stderr, /^cloudrun-grpc hello: --token and --id-token\/--audience are two ways to authenticate/);
  t.match(stderr, /Run 'cloudrun-grpc hello --help' for usage/);
});

t.test('errors other than usage errors are not swallowed', async (t) => {
  const { io } = memoryIo();
  const failing = { ...io, stdout: null as unknown as NodeJS.WritableStream };
  await t.rejects(main(['hello', ...target], failing), TypeError);
});

t.test('every shape prints its replies, as text or JSON', async (t) => {
  t.same(await cli(['hello', ...target, 'Ada']), { code: 0, stdout: 'Hello, Ada!\n', stderr: '' });
  t.same(JSON.parse((await cli(['hello', '--json', ...target])).stdout), { message: 'Hello, world!', sequence: 1 });
  t.equal((await cli(['replies', ...target, '--count', '2', 'Bo'])).stdout, 'Hello, Bo! (1 of 2)\nHello, Bo! (2 of 2)\n');
  t.equal((await cli(['greetings', ...target, 'Ada', 'Bo'])).stdout, 'Hello, Ada, Bo! (2 greetings received)\n');
  t.equal((await cli(['greetings', ...target], 'Ada\n\n Bo \n')).stdout, 'Hello, Ada, Bo! (2 greetings received)\n');
  // Enough names to fill the stream's buffer, so the client waits for it to drain.
  const many = Array.from({ length: 2000 }, (_, i) => `name ${i} ${'x'.repeat(200)}`);
  t.match((await cli(['greetings', ...target], many.join('\n'))).stdout, /\(2000 greetings received\)/);
  const bidi = await cli(['bidi', '--json', ...target], 'Ada\nBo\n');
  t.equal(bidi.code, 0);
  t.same(
    bidi.stdout.trim().split('\n').map((line) => JSON.parse(line)),
    [
      { message: 'Hello, Ada!', sequence: 1 },
      { message: 'Hello, Bo!', sequence: 2 },
    ],
  );
});

t.test('a failed call exits with its status code and prints the status on stderr', async (t) => {
  t.same(await cli(['hello', ...target, '']), {
    code: grpc.status.INVALID_ARGUMENT,
    stdout: '',
    stderr: 'INVALID_ARGUMENT: name is empty: set HelloRequest.name to who should be greeted\n',
  });
  const unavailable = await cli(['hello', '--insecure', `127.0.0.1:${await closedPort()}`]);
  t.equal(unavailable.code, grpc.status.UNAVAILABLE);
  t.match(unavailable.stderr, /^UNAVAILABLE: .*ECONNREFUSED/);
});

t.test('an invalid message in a stream ends it with INVALID_ARGUMENT', async (t) => {
  const { code, stderr } = await cli(['greetings', ...target, 'Ada', 'x'.repeat(2000)]);
  t.equal(code, grpc.status.INVALID_ARGUMENT);
  t.match(stderr, /message 2: name is 2000 characters long/);
});

t.test('TLS spoken to a plaintext server exits 14 with a hint to add --insecure', async (t) => {
  const { code, stderr } = await cli(['hello', '--authority', 'localhost', server.address]);
  t.equal(code, grpc.status.UNAVAILABLE);
  t.match(stderr, /\nhint: the server speaks plaintext \(h2c\): add --insecure\n$/);
});

t.test('a stream past its --deadline exits 4 DEADLINE_EXCEEDED', async (t) => {
  const { code, stdout, stderr } = await cli(['replies', ...target, '--count', '2', '--interval-ms', '60000', '--deadline', '2s', 'Ada']);
  t.equal(code, grpc.status.DEADLINE_EXCEEDED);
  t.notMatch(stdout, /2 of 2/);
  t.match(stderr, /^DEADLINE_EXCEEDED/);
});

t.test('health prints the status; exit 0 only when SERVING', async (t) => {
  t.same(await cli(['health', ...target]), { code: 0, stdout: 'SERVING\n', stderr: '' });
  const json = await cli(['health', '--json', '--service', 'helloworld.Greeter', ...target]);
  t.same(JSON.parse(json.stdout), { status: 'SERVING' });
  const unknown = await cli(['health', '--service', 'nope', ...target]);
  t.equal(unknown.code, grpc.status.NOT_FOUND);
  t.match(unknown.stderr, /^NOT_FOUND: /);

  const notServing = new grpc.Server();
  new HealthImplementation({ '': 'NOT_SERVING' }).addToServer(notServing);
  const port = await new Promise<number>((resolve, reject) =>
    notServing.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => notServing.forceShutdown());
  t.same(await cli(['health', '--insecure', `127.0.0.1:${port}`]), { code: 20, stdout: 'NOT_SERVING\n', stderr: '' });
});

t.test('CLOUDRUN_GRPC_TOKEN is sent when --token is not given', async (t) => {
  const issuer = createIdTokenIssuer();
  const verifying = await startServer(t, { AUTH_AUDIENCE: 'https://127.0.0.1' }, {}, { idTokenCertificates: issuer.certificates });
  const withToken = await cli(['hello', '--insecure', verifying.address], '', { CLOUDRUN_GRPC_TOKEN: issuer.sign({ aud: 'https://127.0.0.1' }) });
  t.equal(withToken.code, 0);
  const without = await cli(['hello', '--insecure', verifying.address]);
  t.equal(without.code, grpc.status.UNAUTHENTICATED);
});

t.test('--ca-file and --authority reach a TLS server', { skip: opensslMissing }, async (t) => {
  const pki = createTestPki(t);
  const tlsServer = await startServer(t, { TLS_CERT_FILE: pki.certFile, TLS_KEY_FILE: pki.keyFile });
  t.same(await cli(['hello', '--ca-file', pki.caFile, '--authority', 'localhost', tlsServer.address, 'Ada']), {
    code: 0,
    stdout: 'Hello, Ada!\n',
    stderr: '',
  });
});

t.test('serve runs the server until a signal drains it', async (t) => {
  const port = await closedPort();
  const { io } = memoryIo('', { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent' });
  const running = main(['serve'], io);
  let code: number | undefined;
  // Until the server has bound its port the check fails UNAVAILABLE: ask again, 50 times at most.
  for (let attempt = 0; attempt < 50 && code !== 0; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    code = (await cli(['health', '--insecure', `127.0.0.1:${port}`])).code;
  }
  t.equal(code, 0);
  process.kill(process.pid, 'SIGINT');
  t.equal(await running, 0);
});
