// What every `cloudrun-grpc <command>` shares: the Command shape the
// dispatcher in src/cli.ts runs, and the usage error it prints (exit code 2).
// The connection flags live with the client (src/client/flags.ts).
import type { ParseArgsConfig } from 'node:util';
import type { Env } from '../config.js';

export { UsageError } from '../client/flags.js';

export interface CommandIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The environment, for the few flags with an environment fallback (read in config.ts, passed here). */
  readonly env: Env;
}

export interface Command {
  readonly name: string;
  /** One line for `cloudrun-grpc --help`. */
  readonly summary: string;
  /** The full `--help` text of this command. */
  readonly usage: string;
  /** The flags its parser takes, where it parses with parseCommandArgs: its usage is checked against them (test/cli/command.test.ts). */
  readonly flags?: NonNullable<ParseArgsConfig['options']>;
  /** Commands under this one (`load merge`): the first argument names one. */
  readonly subcommands?: readonly Command[];
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
