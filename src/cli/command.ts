// What every `cloudrun-grpc <command>` shares: the Command shape the
// dispatcher in src/cli.ts runs, and the connection flags that the call
// commands and the load harness both accept (one parser, one meaning).
import type { ParseArgsConfig } from 'node:util';
import type { ConnectOptions } from '../client/connect.js';

export interface CommandIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The environment, for the few flags with an environment fallback (read in config.ts, passed here). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  readonly name: string;
  /** One line for `cloudrun-grpc --help`. */
  readonly summary: string;
  /** The full `--help` text of this command. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

/** An error in how the command was called: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util parseArgs options for the flags that choose and shape the connection. */
export const CONNECTION_FLAGS = {
  insecure: { type: 'boolean', default: false },
  authority: { type: 'string' },
  'ca-file': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_FLAGS_USAGE = `Connection:
  --insecure             plaintext HTTP/2 (h2c): local servers, cluster-local Knative addresses
  --authority HOST       :authority (and TLS server name) to send instead of the target's host
  --ca-file FILE         PEM file of an extra root CA to trust (private CAs)`;

export interface ConnectionFlagValues {
  insecure?: boolean;
  authority?: string;
  'ca-file'?: string;
}

export function connectOptionsFromFlags(values: ConnectionFlagValues): ConnectOptions {
  return {
    insecure: values.insecure ?? false,
    ...(values.authority !== undefined && { authority: values.authority }),
    ...(values['ca-file'] !== undefined && { caFile: values['ca-file'] }),
  };
}
