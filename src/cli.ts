#!/usr/bin/env node
// The `cloudrun-grpc` command line: one Command per verb, dispatched here. The
// commands are thin over the library (client/connect.ts, server/run.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bidiCommand } from './cli/bidi.js';
import { callCommand } from './cli/call-method.js';
import { describeCommand, listCommand } from './cli/schema.js';
import { UsageError, type Command, type CommandIO } from './cli/command.js';
import { greetingsCommand } from './cli/greetings.js';
import { healthCommand, NOT_SERVING_EXIT_CODE } from './cli/health.js';
import { helloCommand } from './cli/hello.js';
import { interopCommand } from './cli/interop.js';
import { loadCommand } from './cli/load.js';
import { repliesCommand } from './cli/replies.js';
import { serveCommand } from './cli/serve.js';
import { processEnvironment } from './config.js';

export const COMMANDS: Command[] = [
  helloCommand,
  repliesCommand,
  greetingsCommand,
  bidiCommand,
  healthCommand,
  callCommand,
  listCommand,
  describeCommand,
  loadCommand,
  interopCommand,
  serveCommand,
];

const USAGE = `Usage: cloudrun-grpc <command> [options]

A client and server for the helloworld.Greeter gRPC service on Cloud Run and Knative.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`).join('\n')}

Run 'cloudrun-grpc <command> --help' for a command's options.
Exit status: 0 on success; a failed call exits with its gRPC status code (3 INVALID_ARGUMENT,
14 UNAVAILABLE, 16 UNAUTHENTICATED, ...) and prints "STATUS_NAME: message" on stderr; 2 is also a
usage error; ${NOT_SERVING_EXIT_CODE} means health answered but not SERVING.
`;

/** --help or -h before any `--`. */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Runs `cloudrun-grpc argv…`; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const parent = COMMANDS.find((c) => c.name === name);
  if (parent === undefined) {
    io.stderr.write(`cloudrun-grpc: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const sub = parent.subcommands?.find((c) => c.name === argv[1]);
  const command = sub ?? parent;
  if (sub !== undefined) args.shift();
  if (asksForHelp(args)) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const called = sub === undefined ? name : `${name} ${sub.name}`;
    io.stderr.write(`cloudrun-grpc ${called}: ${error.message}\nRun 'cloudrun-grpc ${called} --help' for usage.\n`);
    return 2;
  }
}

/** Whether this module is the process's entry point (run as the bin), not imported (by the tests). */
function isEntryPoint(): boolean {
  return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
}

/**
 * google-auth-library, looking for the metadata server where there is none (--id-token on a laptop without
 * credentials), warns on stderr before the call fails; the call's own UNAUTHENTICATED message says where
 * it looked. Only that warning is dropped, and only in the CLI's process.
 */
function quietMetadataLookup(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const [options] = rest;
    const type = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type;
    if (type !== 'MetadataLookupWarning') emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}

if (isEntryPoint()) {
  quietMetadataLookup();
  // A reader that stops reading (`| head`) closes the pipe: say nothing more and exit, without an EPIPE stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  const code = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: processEnvironment(),
  });
  // Exit once what was written has been flushed: stdin or a closing channel must not hold the process open.
  await new Promise((resolve) => process.stdout.write('', resolve));
  process.exit(code);
}
