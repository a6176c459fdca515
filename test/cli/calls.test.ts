// The CLI spawned as a user runs it: each shape, --json, and the exit codes.
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { main } from '../../src/cli.js';
import { closedPort, memoryIo, runCli, spawnCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const server = await startServer(t);
const target = ['--insecure', server.address];

t.test('hello prints the greeting and exits 0', async (t) => {
  const { code, stdout, stderr } = await runCli(t, ['hello', ...target, 'Ada']);
  t.equal(code, 0);
  t.equal(stdout, 'Hello, Ada!\n');
  t.equal(stderr, '');
});

t.test('hello --json prints one JSON object', async (t) => {
  const { code, stdout } = await runCli(t, ['hello', '--json', ...target]);
  t.equal(code, 0);
  t.same(JSON.parse(stdout), { message: 'Hello, world!', sequence: 1 });
});

t.test('an INVALID_ARGUMENT call exits 3 with the status on stderr', async (t) => {
  const { code, stdout, stderr } = await runCli(t, ['hello', ...target, '']);
  t.equal(code, 3);
  t.equal(stdout, '');
  t.match(stderr, /^INVALID_ARGUMENT: name is empty/);
});

t.test('nothing listening exits 14 UNAVAILABLE', async (t) => {
  const { code, stderr } = await runCli(t, ['hello', '--insecure', `127.0.0.1:${await closedPort()}`]);
  t.equal(code, 14);
  t.match(stderr, /^UNAVAILABLE: .*ECONNREFUSED/);
});

t.test('replies prints each reply as it arrives', async (t) => {
  const run = spawnCli(t, ['replies', ...target, '--count', '2', '--interval-ms', '1500', 'Ada']);
  const [first] = await run.stdoutLines(1);
  t.equal(first, 'Hello, Ada! (1 of 2)');
  t.equal(run.child.exitCode, null, 'the first reply is out while the stream is still open');
  t.equal(await run.exited(), 0);
  t.equal(run.output.stdout, 'Hello, Ada! (1 of 2)\nHello, Ada! (2 of 2)\n');
});

t.test('replies --json prints one object per reply', async (t) => {
  const { code, stdout } = await runCli(t, ['replies', '--json', ...target, '--count', '3', '--gzip', '--metadata', 'x-team=blue', 'Bo']);
  t.equal(code, 0);
  t.same(
    stdout.trim().split('\n').map((line) => JSON.parse(line)),
    [1, 2, 3].map((sequence) => ({ message: `Hello, Bo! (${sequence} of 3)`, sequence })),
  );
});

t.test('greetings streams the names given as arguments', async (t) => {
  const { code, stdout } = await runCli(t, ['greetings', ...target, 'Ada', 'Bo']);
  t.equal(code, 0);
  t.equal(stdout, 'Hello, Ada, Bo! (2 greetings received)\n');
});

t.test('greetings reads names from stdin lines, skipping blank ones', async (t) => {
  const { code, stdout } = await runCli(t, ['greetings', '--json', ...target], { stdin: 'Ada\n\n  Bo  \nCy\nDee\n' });
  t.equal(code, 0);
  t.same(JSON.parse(stdout), { message: 'Hello, Ada, Bo, Cy and 1 more! (4 greetings received)', sequence: 4 });
});

t.test('bidi is interactive: each line typed gets its reply before the next is sent', async (t) => {
  const run = spawnCli(t, ['bidi', ...target]);
  run.child.stdin.write('Ada\n');
  t.same(await run.stdoutLines(1), ['Hello, Ada!']);
  run.child.stdin.write('Bo\n');
  t.same(await run.stdoutLines(2), ['Hello, Ada!', 'Hello, Bo!']);
  run.child.stdin.end();
  t.equal(await run.exited(), 0);
});

t.test('bidi --json prints one object per reply', async (t) => {
  const { code, stdout } = await runCli(t, ['bidi', '--json', ...target], { stdin: 'Ada\nBo\n' });
  t.equal(code, 0);
  t.same(
    stdout.trim().split('\n').map((line) => JSON.parse(line)),
    [
      { message: 'Hello, Ada!', sequence: 1 },
      { message: 'Hello, Bo!', sequence: 2 },
    ],
  );
});

t.test('a TARGET without a port is 443, with --insecure too: refused there, the error comes with a hint', async (t) => {
  const { io, output } = memoryIo();
  t.equal(await main(['hello', '--insecure', '127.0.0.1', 'Ada'], io), 14);
  t.match(output.stderr, /^UNAVAILABLE: .*ECONNREFUSED 127\.0\.0\.1:443/);
  t.match(output.stderr, /hint: nothing listens on 127\.0\.0\.1:443, the port a TARGET without one gets: give the server's, e\.g\. localhost:8080/);
});

t.test("--id-token with no credentials fails with the call's message alone, no metadata-lookup warning", async (t) => {
  // A "metadata server" that hangs up at once: google-auth-library warns of that before the call fails.
  const hangUp = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  t.teardown(() => hangUp.close());
  const { code, stderr } = await runCli(t, ['hello', ...target, '--id-token'], {
    env: { GCE_METADATA_HOST: `127.0.0.1:${(hangUp.address() as AddressInfo).port}`, GOOGLE_APPLICATION_CREDENTIALS: undefined, CLOUDSDK_CONFIG: temporaryDirectory(t, 'cloudrun-grpc-gcloud-') },
    timeoutMs: 60_000,
  });
  t.equal(code, 16);
  t.match(stderr, /^UNAUTHENTICATED: .*cannot get a Google ID token/);
  t.notMatch(stderr, /Warning/);
});

t.test('greetings with one name counts one greeting', async (t) => {
  const { io, output } = memoryIo();
  t.equal(await main(['greetings', ...target, 'Ada'], io), 0);
  t.equal(output.stdout, 'Hello, Ada! (1 greeting received)\n');
});
