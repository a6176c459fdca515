// `interop`: runs gRPC's interop test cases against any server, with the flags
// gRPC's own interop clients take, and prints one line per case.
import { INTEROP_CASES, InteropFailure } from '../interop/cases.js';
import type { InteropTarget } from '../interop/clients.js';
import { noMoreArguments, parseCommandArgs } from './call.js';
import { UsageError, type Command, type CommandIO } from './command.js';

const FLAGS = {
  server_host: { type: 'string', default: 'localhost' },
  server_port: { type: 'string' },
  server_host_override: { type: 'string' },
  test_case: { type: 'string' },
  use_tls: { type: 'string', default: 'false' },
  ca_file: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

const USAGE = `Usage: cloudrun-grpc interop --server_port PORT --test_case CASE [options]
   or: npm run interop -- --server_port PORT --test_case CASE [options]

Runs gRPC's interop test cases (doc/interop-test-descriptions.md in grpc/grpc)
against a server that serves grpc.testing.TestService: this one with INTEROP=on,
or any other. Prints one line per case; exits 1 if any case fails.

  --server_host HOST           server to call (default localhost)
  --server_port PORT           its port (required; 443 for Cloud Run and Knative ingresses)
  --test_case CASE             a case name, several separated by commas, or all
  --use_tls[=true|false]       TLS with the system's roots (default false: plaintext h2c)
  --server_host_override HOST  :authority (and TLS server name) to send instead of --server_host
  --ca_file FILE               PEM file of an extra root CA to trust (private CAs)

Cases: ${Object.keys(INTEROP_CASES).join(', ')}`;

/** gRPC's clients take --use_tls=true; a bare --use_tls means the same. */
function normaliseFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => (arg === '--use_tls' ? '--use_tls=true' : arg));
}

function readBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${name} is "${value}"; use true or false`);
}

function readCases(testCase: string | undefined): string[] {
  if (testCase === undefined) throw new UsageError('--test_case is required (a case name, or all)');
  if (testCase === 'all') return Object.keys(INTEROP_CASES);
  const names = testCase.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(name in INTEROP_CASES));
  if (unknown.length > 0) throw new UsageError(`unknown --test_case ${unknown.join(', ')}; the cases are: ${Object.keys(INTEROP_CASES).join(', ')}, all`);
  return names;
}

function readTarget(values: { server_host: string; server_port?: string | undefined; use_tls: string; server_host_override?: string | undefined; ca_file?: string | undefined }): InteropTarget {
  const port = values.server_port;
  if (port === undefined) throw new UsageError('--server_port is required');
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new UsageError(`--server_port is "${port}"; use a port from 1 to 65535`);
  const host = values.server_host.includes(':') ? `[${values.server_host}]` : values.server_host;
  return {
    target: `${host}:${port}`,
    options: {
      insecure: !readBoolean('use_tls', values.use_tls),
      ...(values.server_host_override !== undefined && { authority: values.server_host_override }),
      ...(values.ca_file !== undefined && { caFile: values.ca_file }),
    },
  };
}

/** Runs `names` one after another; resolves to the number that failed. */
async function runCases(names: readonly string[], target: InteropTarget, io: CommandIO): Promise<number> {
  let failed = 0;
  for (const name of names) {
    const started = performance.now();
    try {
      await INTEROP_CASES[name]!(target);
      io.stdout.write(`PASS ${name} (${Math.round(performance.now() - started)} ms)\n`);
    } catch (error) {
      failed += 1;
      const reason = error instanceof InteropFailure ? error.message : String(error);
      io.stdout.write(`FAIL ${name}: ${reason}\n`);
    }
  }
  return failed;
}

export const interopCommand: Command = {
  name: 'interop',
  summary: "run gRPC's interop test cases against a server (grpc.testing.TestService)",
  usage: USAGE,
  async run(argv, io) {
    let names: string[];
    let target: InteropTarget;
    try {
      const { values, positionals } = parseCommandArgs(normaliseFlags(argv), FLAGS);
      noMoreArguments(positionals);
      if (values.help) {
        io.stdout.write(`${USAGE}\n`);
        return 0;
      }
      names = readCases(values.test_case);
      target = readTarget(values);
    } catch (error) {
      io.stderr.write(`interop: ${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    const failed = await runCases(names, target, io);
    if (names.length > 1) io.stdout.write(`${names.length - failed} of ${names.length} cases passed\n`);
    return failed === 0 ? 0 : 1;
  },
};
