// ghz's flags, as ghz means them, beside `load`'s own: the ones with a name of
// their own here become ours (--cacert is --ca-file, -t --deadline, --cpus
// --workers, …); the rest add what ghz has (mutual TLS, --protoset, binary data,
// --skipFirst, -x, a JSON config file). A ghz flag the harness does not take is
// refused with what to use instead.
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { UsageError, parseDuration } from '../client/flags.js';
import type { ConnectionSpec } from '../client/connect.js';
import type { ForeignFlags } from './call.js';

export const GHZ_FLAGS = {
  metadata: { type: 'string', multiple: true, short: 'm' },
  'metadata-file': { type: 'string', short: 'M' },
  timeout: { type: 'string', short: 't' },
  'max-duration': { type: 'string', short: 'x' },
  'duration-stop': { type: 'string' },
  cpus: { type: 'string' },
  skipFirst: { type: 'string' },
  'count-errors': { type: 'boolean', default: false },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  cname: { type: 'string' },
  skipTLS: { type: 'boolean', default: false },
  'enable-compression': { type: 'boolean', short: 'e', default: false },
  'max-recv-message-size': { type: 'string' },
  'max-send-message-size': { type: 'string' },
  protoset: { type: 'string' },
  'reflect-metadata': { type: 'string' },
  binary: { type: 'boolean', short: 'b', default: false },
  'binary-file': { type: 'string', short: 'B' },
  'stream-interval': { type: 'string' },
  'stream-call-count': { type: 'string' },
  name: { type: 'string' },
  tags: { type: 'string' },
  config: { type: 'string' },
} as const;

export const GHZ_FLAGS_USAGE = `ghz's flags (as ghz means them; where one is ours under another name, give either, not both):
  -O, --format F         also ghz's pretty (JSON), influx-summary, prometheus (not influx-details:
                         --csv-calls lists every call)
  -m, --metadata JSON    also a JSON object {"key": "value", …}; -M, --metadata-file FILE reads one
  -t, --timeout D        --deadline: a duration, or seconds (20); 0 is no deadline
  -x, --max-duration D   stop after --total calls or after D, whichever comes first
  --duration-stop wait   calls in flight when --duration ends finish and are counted (ghz's close and
                         ignore are not here)
  --cpus N               --workers
  --skipFirst N          leave the first N calls out of every figure (counted as warm-up calls)
  --count-errors         failed calls are always in the latency figures here (read them with the error rate)
  --cacert FILE          --ca-file
  --cert FILE, --key FILE  mutual TLS: the client's certificate and key (PEM)
  --cname NAME           the name the server's certificate is checked against
  --skipTLS              accept any server certificate (no chain or name check)
  -e, --enable-compression  --gzip
  --max-recv-message-size N, --max-send-message-size N
                         largest reply and request in bytes (grpc-js's meaning; the http2 driver fails a
                         larger reply with RESOURCE_EXHAUSTED and refuses a larger --data before the run)
  --protoset FILE        the method's descriptors from a FileDescriptorSet (protoc -o FILE --include_imports)
  --reflect-metadata JSON  metadata sent with the reflection request only
  -b, --binary           the request is one serialized message read from stdin; -B, --binary-file FILE
  --stream-interval D    --interval-ms, as a duration
  --stream-call-count N  --messages
  --name NAME, --tags JSON  the run's name and string tags, written in every report
  --config FILE          ghz's JSON config file (keys are the flags' names, long or short; "host" is the
                         target); flags on the command line win`;

/** ghz's flags that are not here, and what to use instead. */
export const GHZ_ONLY: ForeignFlags = {
  debug: 'for every call\'s outcome, use --csv-calls',
  async: 'to start calls on a timetable rather than after the one before, use --rps (open loop)',
  keepalive: 'no keepalive pings are sent; the nearest flag is --connect-timeout',
  L: 'no keepalive pings are sent; the nearest flag is --connect-timeout',
  'lb-strategy': 'use --connections N (separate connections, calls spread over them round-robin)',
  'disable-template-data': '--data is rendered only where it holds {{…}}: drop the flag',
  'disable-template-functions': '--data is rendered only where it holds {{…}}: drop the flag',
  'stream-call-duration': 'a stream ends after --messages (--stream-call-count) messages; there is no time limit per stream',
  'stream-dynamic-messages': 'give each message of a stream as an element of a --data array (templates render once per call)',
  q: 'use --rps (-r)',
  qps: 'use --rps (-r)',
  T: 'use --connect-timeout',
  v: 'see --help',
  version: 'see --help',
  'help-long': 'use --help',
  'help-man': 'use --help',
};

export interface GhzValues {
  metadata?: string[];
  'metadata-file'?: string;
  timeout?: string;
  'max-duration'?: string;
  'duration-stop'?: string;
  cpus?: string;
  skipFirst?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  cname?: string;
  skipTLS?: boolean;
  'enable-compression'?: boolean;
  'max-recv-message-size'?: string;
  'max-send-message-size'?: string;
  protoset?: string;
  'reflect-metadata'?: string;
  binary?: boolean;
  'binary-file'?: string;
  'stream-interval'?: string;
  'stream-call-count'?: string;
  name?: string;
  tags?: string;
  'ca-file'?: string;
  gzip?: boolean;
  deadline?: string;
  workers?: string;
  'interval-ms'?: string;
  messages?: string;
}

/** The longest timer Node keeps: a --timeout of 0 (ghz: no deadline) is this. */
const NO_DEADLINE_MS = 2_147_483_647;

/** A JSON object of strings (ghz's -m, --tags, --reflect-metadata); arrays of strings give a key several values. */
export function stringPairs(flag: string, text: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${flag}: not JSON (${(error as Error).message}); give an object such as {"key": "value"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--${flag}: give a JSON object such as {"key": "value"}`);
  return Object.entries(parsed).flatMap(([key, value]) => {
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === 'string')) throw new UsageError(`--${flag}: the value of "${key}" is not a string`);
    return (values as string[]).map((v): [string, string] => [key, v]);
  });
}

function readText(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code})`);
  }
}

function byteCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag}: "${value}" is not a number of bytes of at least 1`);
  return Number(value);
}

/** One value from our flag or ghz's name for it, not both. */
function either<T>(ours: string, ghz: string, values: Record<string, unknown>, convert: (ghzValue: never) => T): T | undefined {
  if (values[ghz] === undefined || values[ghz] === false) return values[ours] as T | undefined;
  if (values[ours] !== undefined && values[ours] !== false) throw new UsageError(`--${ghz} is ghz's name for --${ours}: give one of them`);
  return convert(values[ghz] as never);
}

/** ghz's -t: a duration, or whole seconds; 0 is no deadline. */
function timeoutMs(value: string): number {
  if (/^\d+$/.test(value.trim())) return Number(value) === 0 ? NO_DEADLINE_MS : Number(value) * 1000;
  const ms = parseDuration('timeout', value);
  return ms === 0 ? NO_DEADLINE_MS : ms;
}

export interface GhzSettings {
  /** Our flags' values, ghz's names folded in (metadata as KEY=VALUE). */
  readonly values: Record<string, unknown>;
  /** -t, --timeout, when given: the deadline in ms. */
  readonly deadlineMs: number | undefined;
  readonly connection: Pick<ConnectionSpec, 'certFile' | 'keyFile' | 'serverName' | 'skipVerify' | 'maxReceiveBytes' | 'maxSendBytes'>;
  readonly maxDurationMs: number | undefined;
  readonly skipFirst: number;
  readonly protoset: string | undefined;
  /** -b: "-" (stdin); -B: the file. */
  readonly binaryFile: string | undefined;
  readonly reflectMetadata: [string, string][] | undefined;
  readonly name: string | undefined;
  readonly tags: Record<string, string> | undefined;
}

/** ghz's flags → our values and what only ghz's flags give; errors name the flag. */
export function ghzSettings(values: GhzValues & Record<string, unknown>): GhzSettings {
  if (values['duration-stop'] !== undefined && values['duration-stop'] !== 'wait') {
    const known = ['close', 'ignore'].includes(values['duration-stop']);
    throw new UsageError(
      `--duration-stop: ${known ? `"${values['duration-stop']}" is not here` : `"${values['duration-stop']}" is not one of close, wait, ignore`}: calls in flight when --duration ends always finish and are counted (ghz's wait)`,
    );
  }
  if (values.cert !== undefined && values.key === undefined) throw new UsageError('--cert needs --key (the certificate\'s private key)');
  if (values.key !== undefined && values.cert === undefined) throw new UsageError('--key needs --cert');
  if (values.binary === true && values['binary-file'] !== undefined) throw new UsageError('give -b (stdin) or -B FILE, not both');
  const metadataFile = values['metadata-file'] === undefined ? [] : stringPairs('metadata-file', readText('metadata-file', values['metadata-file']));
  const metadata = [
    ...(values.metadata ?? []).flatMap((text) => (/^\s*[[{]/.test(text) ? stringPairs('metadata', text).map(([k, v]) => `${k}=${v}`) : [text])),
    ...metadataFile.map(([k, v]) => `${k}=${v}`),
  ];
  const skipFirst = values.skipFirst === undefined ? 0 : Number(values.skipFirst);
  if (!/^\d+$/.test(values.skipFirst ?? '0')) throw new UsageError(`--skipFirst: "${values.skipFirst}" is not a whole number`);
  return {
    values: {
      ...values,
      metadata: metadata.length === 0 ? undefined : metadata,
      'ca-file': either('ca-file', 'cacert', values, (file: string) => file),
      gzip: either('gzip', 'enable-compression', values, () => true),
      workers: either('workers', 'cpus', values, (n: string) => n),
      messages: either('messages', 'stream-call-count', values, (n: string) => n),
      'interval-ms': either('interval-ms', 'stream-interval', values, (d: string) => String(parseDuration('stream-interval', d))),
    },
    deadlineMs: either('deadline', 'timeout', values, () => 'timeout') === 'timeout' ? timeoutMs(values.timeout as string) : undefined,
    connection: {
      ...(values.cert !== undefined && { certFile: values.cert, keyFile: values.key }),
      ...(values.cname !== undefined && { serverName: values.cname }),
      ...(values.skipTLS === true && { skipVerify: true }),
      ...(values['max-recv-message-size'] !== undefined && { maxReceiveBytes: byteCount('max-recv-message-size', values['max-recv-message-size']) }),
      ...(values['max-send-message-size'] !== undefined && { maxSendBytes: byteCount('max-send-message-size', values['max-send-message-size']) }),
    },
    maxDurationMs: values['max-duration'] === undefined ? undefined : parseDuration('max-duration', values['max-duration']),
    skipFirst,
    protoset: values.protoset,
    binaryFile: values.binary === true ? '-' : values['binary-file'],
    reflectMetadata: values['reflect-metadata'] === undefined ? undefined : stringPairs('reflect-metadata', values['reflect-metadata']),
    name: values.name,
    tags: values.tags === undefined ? undefined : Object.fromEntries(stringPairs('tags', values.tags)),
  };
}

/**
 * ghz's --config FILE (JSON) as command-line arguments, to go before the command line's own (which win):
 * each key is a flag's long or short name; "host" is the target.
 */
export function configArguments(file: string, options: NonNullable<ParseArgsConfig['options']>): { args: string[]; host: string | undefined } {
  let config: unknown;
  try {
    config = JSON.parse(readText('config', file));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--config: ${file} is not JSON (${(error as Error).message}); TOML configs are not read here`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`--config: ${file} does not hold a JSON object`);
  const args: string[] = [];
  let host: string | undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key === 'host') {
      host = String(value);
      continue;
    }
    const long = Object.hasOwn(options, key) ? key : Object.entries(options).find(([, option]) => option.short === key)?.[0];
    if (long === undefined || long === 'config') {
      const instead = GHZ_ONLY[key];
      throw new UsageError(`--config ${file}: "${key}" is ${instead === undefined ? 'not a setting of load' : `ghz's; not here: ${instead}`}`);
    }
    if (value === false || value === null) continue;
    if (value === true) args.push(`--${long}`);
    else if (Array.isArray(value) && long === 'import-paths') args.push(`--${long}=${value.join(',')}`);
    else if (typeof value === 'object') args.push(`--${long}=${JSON.stringify(value)}`);
    else args.push(`--${long}=${String(value)}`);
  }
  return { args, host };
}
