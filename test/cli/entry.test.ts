// The top level of the `cloudrun-grpc` command: help, unknown commands, usage errors.
import t from 'tap';
import { runCli } from '../helpers/cli.js';

t.test('--help lists every command and exits 0', async (t) => {
  const { code, stdout } = await runCli(t, ['--help']);
  t.equal(code, 0);
  for (const name of ['hello', 'replies', 'greetings', 'bidi', 'health', 'serve']) t.match(stdout, new RegExp(`^  ${name} `, 'm'));
});

t.test('no command prints the usage on stderr and exits 2', async (t) => {
  const { code, stdout, stderr } = await runCli(t, []);
  t.equal(code, 2);
  t.equal(stdout, '');
  t.match(stderr, /^Usage: cloudrun-grpc <command>/);
});

t.test('an unknown command exits 2, naming it', async (t) => {
  const { code, stderr } = await runCli(t, ['greet']);
  t.equal(code, 2);
  t.match(stderr, /unknown command "greet"/);
});

t.test("a command's --help prints its usage and exits 0, whatever else is on the line", async (t) => {
  const { code, stdout } = await runCli(t, ['replies', '--nonsense', '-h']);
  t.equal(code, 0);
  t.match(stdout, /^Usage: cloudrun-grpc replies \[options\] TARGET \[NAME\]/);
  t.match(stdout, /--interval-ms MS/);
  t.match(stdout, /--id-token/);
});

t.test('a usage error exits 2 with the problem and a pointer to --help', async (t) => {
  const { code, stderr } = await runCli(t, ['hello', '--token', 'a', '--id-token', 'localhost', '--', '--help']);
  t.equal(code, 2);
  t.match(stderr, /cloudrun-grpc hello: --token and --id-token\/--audience are two ways to authenticate/);
  t.match(stderr, /Run 'cloudrun-grpc hello --help' for usage/);
});
