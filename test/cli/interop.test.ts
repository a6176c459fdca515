// The interop command: flags as gRPC's interop clients name them, one line per
// case, exit 0 / 1 / 2, and the npm run interop entry point.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { interopCommand } from '../../src/cli/interop.js';
import { TS_NODE_ARGS } from '../helpers/process.js';
import { startServer } from '../helpers/server.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await interopCommand.run(argv, { stdin: new PassThrough(), stdout, stderr, env: {} });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const { port } = await startServer(t, { INTEROP: 'on', STREAMING: 'on' });
const server = ['--server_host', '127.0.0.1', '--server_port', String(port)];

t.test('runs the cases named with commas, one PASS line each, and exits 0', async (t) => {
  const { code, stdout } = await run([...server, '--test_case', 'empty_unary,large_unary']);
  t.equal(code, 0);
  t.match(stdout, /^PASS empty_unary \(\d+ ms\)\nPASS large_unary \(\d+ ms\)\n2 of 2 cases passed\n$/);
});

t.test('all runs every case; a failing case prints FAIL with the reason and exits 1', async (t) => {
  const { code, stdout } = await run([...server, '--test_case=all']);
  t.equal(code, 1);
  t.equal(stdout.split('\n').filter((line) => /^(PASS|FAIL) /.test(line)).length, 18);
  t.match(stdout, /^FAIL server_compressed_unary: .*UNIMPLEMENTED/m);
  t.match(stdout, /^14 of 18 cases passed$/m);
});

t.test('--server_host_override is accepted (sent as :authority)', async (t) => {
  const { code } = await run([...server, '--server_host_override', 'interop.example.test', '--test_case', 'custom_metadata']);
  t.equal(code, 0);
});

t.test('a case that cannot even start fails with the error', async (t) => {
  const { code, stdout } = await run([...server, '--use_tls', '--ca_file', '/nonexistent/ca.pem', '--test_case', 'empty_unary']);
  t.equal(code, 1);
  t.match(stdout, /^FAIL empty_unary: Error: cannot read the CA file "\/nonexistent\/ca.pem": ENOENT/);
});

t.test('--use_tls=true speaks TLS, which a plaintext server does not answer', async (t) => {
  const { code, stdout } = await run([...server, '--use_tls=true', '--test_case', 'empty_unary']);
  t.equal(code, 1);
  t.match(stdout, /^FAIL empty_unary: EmptyCall: expected OK, got UNAVAILABLE/);
});

t.test('an IPv6 --server_host is bracketed in the target', async (t) => {
  const { stdout } = await run(['--server_host', '::1', '--server_port', '1', '--test_case', 'empty_unary']);
  t.match(stdout, /^FAIL empty_unary: EmptyCall: expected OK, got UNAVAILABLE/);
});

t.test('--help prints the usage and exits 0', async (t) => {
  const { code, stdout } = await run(['--help']);
  t.equal(code, 0);
  t.match(stdout, /--server_host_override HOST/);
  t.match(stdout, /Cases: empty_unary, large_unary/);
});

const usageErrors: [string, string[], RegExp][] = [
  ['no --test_case', [...server], /--test_case is required/],
  ['an unknown case', [...server, '--test_case', 'empty_unary,nope'], /unknown --test_case nope; the cases are: empty_unary/],
  ['no --server_port', ['--test_case', 'empty_unary'], /--server_port is required/],
  ['a port out of range', ['--server_port', '70000', '--test_case', 'empty_unary'], /--server_port is "70000"/],
  ['--use_tls neither true nor false', [...server, '--use_tls=yes', '--test_case', 'empty_unary'], /--use_tls is "yes"; use true or false/],
  ['an unknown flag', [...server, '--test-case', 'empty_unary'], /unknown flag --test-case \(did you mean --test_case\?\)/],
];
for (const [what, argv, message] of usageErrors) {
  t.test(`${what} is a usage error: exit 2 with the reason and the usage`, async (t) => {
    const { code, stderr, stdout } = await run(argv);
    t.equal(code, 2);
    t.match(stderr, message);
    t.match(stderr, /Usage: cloudrun-grpc interop [\s\S]*or: npm run interop/);
    t.equal(stdout, '');
  });
}

t.test('the npm run interop entry point (the CLI\'s interop command) runs a case and exits 0', async (t) => {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, 'src/cli.ts', 'interop', ...server, '--test_case', 'empty_unary'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => void child.kill());
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0);
  t.match(Buffer.concat(out).toString(), /^PASS empty_unary/);
});
