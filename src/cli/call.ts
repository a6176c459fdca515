// What the call commands (hello, replies, greetings, bidi, health) share:
// flags, a connection from them, and one mapping from a call's outcome to
// output and exit code. The exit code of a failed call is its gRPC status code.
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { connect, ConnectError, type Connection } from '../client/connect.js';
import type { HelloResponse__Output } from '../generated/helloworld/HelloResponse.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, UsageError, connectOptionsFromFlags, type ConnectionFlagValues } from '../client/flags.js';
import type { CommandIO } from './command.js';

export const CALL_FLAGS = {
  ...CONNECTION_FLAGS,
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/** What TARGET is and what the exit status says, for every command that calls. */
export const TARGET_USAGE = `TARGET is host[:port] (port 443 when omitted, with --insecure too), or a gRPC target URI (dns:, xds:).
Exit status: 0 on OK, else the gRPC status code, with "STATUS_NAME: message" on stderr; 2 a usage error.`;

export const CALL_FLAGS_USAGE = `Output:
  --json                 one JSON object per message on stdout (default: human-readable lines)
  --help, -h             this help

${CONNECTION_FLAGS_USAGE}

${TARGET_USAGE}`;

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Flags a command does not take but another tool's users will type (ghz's, for `load`): the flag's long or short
 * name (without dashes) → what to give instead, naming our nearest flag.
 */
export type ForeignFlags = Readonly<Record<string, string>>;

/**
 * The command's flags and positionals, strict as node:util parseArgs is, with every mistake a UsageError in
 * the CLI's own words (Node's texts, such as "argument is ambiguous", never reach the user). A string flag
 * takes the next argument as its value even when it starts with a dash (`--count -1`, `--load-step -10`), so
 * that the value is judged by the command, unless that argument is itself one of the command's flags.
 */
export function parseCommandArgs<O extends FlagOptions>(argv: readonly string[], options: O, foreign: ForeignFlags = {}) {
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (option === undefined) throw new UsageError(unknownFlag(token.rawName, token.name, options, foreign));
    if (option.type === 'boolean' && token.value !== undefined) throw new UsageError(`${flagName(token.name, option)} takes no value (got "${token.value}")`);
    if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && isFlag(token.value, options)))) {
      throw new UsageError(`${flagName(token.name, option)} needs a value`);
    }
  }
  type Strict = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  return { values, positionals } as unknown as Strict;
}

/** `--name` (and `-x, --name` when it has a short form). */
function flagName(name: string, option: FlagOptions[string]): string {
  return option.short === undefined ? `--${name}` : `-${option.short}, --${name}`;
}

/** Whether `arg` names one of the command's flags (then it cannot be the value of the flag before it). */
function isFlag(arg: string, options: FlagOptions): boolean {
  const long = /^--([^=]+)/.exec(arg);
  if (long !== null) return Object.hasOwn(options, long[1] as string);
  return /^-[^-\d.]/.test(arg) && Object.values(options).some((option) => option.short === arg[1]);
}

function unknownFlag(rawName: string, name: string, options: FlagOptions, foreign: ForeignFlags): string {
  const instead = foreign[name];
  if (instead !== undefined) return `${rawName} is ghz's; cloudrun-grpc does not take it: ${instead}`;
  const nearest = nearestFlag(name, Object.keys(options));
  return `unknown flag ${rawName}${nearest === undefined ? '' : ` (did you mean --${nearest}?)`}`;
}

/** The flag whose name is fewest edits from `name`, when it is close enough to be what was meant. */
export function nearestFlag(name: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name.toLowerCase(), candidate);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === undefined || name.length < 2) return undefined;
  return best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Rejects positional arguments a command does not take. */
export function noMoreArguments(extra: readonly string[]): void {
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
}

/**
 * A non-negative whole number from a flag, for the request fields the server range-checks itself; 0 when
 * the flag is not given. `least` refuses smaller values where 0 on the wire would mean the server's default.
 */
export function wholeNumber(flag: string, text: string | undefined, least = 0): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} "${text}" is not a whole number`);
  if (Number(text) < least) throw new UsageError(`--${flag} must be at least ${least} (leave it out for the server's default)`);
  return Number(text);
}

/** Prints each reply as it comes: its message, or with --json one JSON object (payload as base64, when any). */
export function replyPrinter(io: CommandIO, json: boolean): (reply: HelloResponse__Output) => void {
  return (reply) => {
    if (!json) return void io.stdout.write(`${reply.message}\n`);
    const payload = reply.payload.length > 0 ? { payload: reply.payload.toString('base64') } : {};
    io.stdout.write(`${JSON.stringify({ message: reply.message, sequence: reply.sequence, ...payload })}\n`);
  };
}

/** Non-blank stdin lines, trimmed, as they are typed or piped; stops when `signal` aborts. */
export async function* stdinLines(io: CommandIO, signal: AbortSignal): AsyncGenerator<string> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, signal });
  for await (const line of lines) {
    const name = line.trim();
    if (name !== '') yield name;
  }
}

/** Writes one HelloRequest per name, waiting while the stream is full, then half-closes. */
export async function sendNames(call: grpc.ClientWritableStream<{ name: string }>, names: AsyncIterable<string> | Iterable<string>): Promise<void> {
  for await (const name of names) {
    if (!call.write({ name })) await new Promise((resolve) => call.once('drain', resolve));
  }
  call.end();
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as grpc.ServiceError).code === 'number' && 'details' in error;
}

/**
 * Connects to `target` as the flags say, runs `call` on a new client, and turns
 * the outcome into the exit code: `call`'s own code or 0, or the status code of
 * a failed call (its name and message on stderr).
 */
export async function runCall<C extends grpc.Client>(
  io: CommandIO,
  flags: ConnectionFlagValues,
  target: string | undefined,
  makeClient: (connection: Connection) => C,
  call: (client: C) => Promise<number | void>,
): Promise<number> {
  if (target === undefined) throw new UsageError('missing TARGET (host[:port])');
  let connection: Connection;
  try {
    connection = connect(target, connectOptionsFromFlags(flags, io.env));
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
  const client = makeClient(connection);
  const outcome = await call(client).then(
    (code) => ({ code: code ?? 0 }),
    (error: unknown) => ({ error }),
  );
  client.close();
  if ('code' in outcome) return outcome.code;
  return failedCallExitCode(outcome.error, io);
}

/** A failed call's status code, its name and message printed on stderr; anything but a gRPC status is rethrown. */
function failedCallExitCode(failure: unknown, io: CommandIO): number {
  // Reflection that failed (call, list, describe) fails as its call did.
  const error = failure instanceof ConnectError && isServiceError(failure.cause) ? failure.cause : failure;
  if (!isServiceError(error)) throw error;
  io.stderr.write(`${grpc.status[error.code]}: ${error.details}\n`);
  writePlaintextHint(error.details, io);
  // A TARGET without a port means 443, with --insecure too: a local server was meant, most likely.
  const refused443 = /ECONNREFUSED (\S+):443\b/.exec(error.details);
  if (refused443) io.stderr.write(`hint: nothing listens on ${refused443[1]}:443, the port a TARGET without one gets: give the server's, e.g. localhost:8080\n`);
  return error.code;
}

/** The one failure whose message does not say what to do: TLS spoken to a plaintext server. Hints --insecure. */
export function writePlaintextHint(message: string, io: Pick<CommandIO, 'stderr'>): void {
  if (/wrong version number/.test(message)) io.stderr.write('hint: the server speaks plaintext (h2c): add --insecure\n');
}
