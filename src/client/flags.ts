// The connection flags of every command that connects (the call commands and
// `load`): one parser, one meaning. Flags become a ConnectionSpec, plain data
// that the load harness can hand its worker threads as it is. A bad value is a
// UsageError, which the command line prints with its usage hint (exit code 2).
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadClientEnvironment, type Env } from '../config.js';
import type { ConnectionSpec } from './connect.js';

/** An error in how the command was called: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util parseArgs options for the flags that choose and shape the connection. */
export const CONNECTION_FLAGS = {
  insecure: { type: 'boolean', default: false },
  authority: { type: 'string' },
  'ca-file': { type: 'string' },
  'id-token': { type: 'boolean', default: false },
  audience: { type: 'string' },
  token: { type: 'string' },
  metadata: { type: 'string', multiple: true },
  gzip: { type: 'boolean', default: false },
  deadline: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_FLAGS_USAGE = `Connection:
  --insecure             plaintext HTTP/2 (h2c): local servers, cluster-local Knative addresses
  --authority HOST       :authority (and TLS server name) to send instead of the target's host
  --ca-file FILE         PEM file of an extra root CA to trust (private CAs)
  --id-token             send a Google ID token (Application Default Credentials), minted for
                         https://<host> (the --authority host when given) and reused until near expiry
  --audience AUD         mint the ID token for AUD instead (implies --id-token)
  --token TOKEN          send this bearer token (default: $CLOUDRUN_GRPC_TOKEN), e.g.
                         "$(gcloud auth print-identity-token)"
  --metadata KEY=VALUE   send this metadata with every call (repeatable; -bin keys take base64)
  --gzip                 compress requests with gzip
  --deadline DURATION    deadline of each call: 30s by default; also 500ms, 2m, 1h`;

export interface ConnectionFlagValues {
  insecure?: boolean;
  authority?: string;
  'ca-file'?: string;
  'id-token'?: boolean;
  audience?: string;
  token?: string;
  metadata?: string[];
  gzip?: boolean;
  deadline?: string;
}

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "2m", "1h", or Go's "1m30s" → milliseconds; the unit is required, as in ghz. */
export function parseDuration(flag: string, value: string): number {
  const text = value.trim();
  if (!DURATION.test(text)) throw new UsageError(`--${flag}: "${value}" is not a duration such as 500ms, 30s, 2m, 1h or 1m30s`);
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * (MS_PER_UNIT[unit as string] as number);
  return Math.round(ms);
}

/** A duration that must be above zero (--deadline, --connect-timeout). */
export function parsePositiveDuration(flag: string, value: string): number {
  const ms = parseDuration(flag, value);
  if (ms === 0) throw new UsageError(`--${flag}: must be above 0`);
  return ms;
}

/** "0.01" or "1%" → 0.01 (--fail-on-error-rate, --fail-on-regression). */
export function fraction(flag: string, value: string): number {
  const percent = value.trim().endsWith('%');
  const n = Number(percent ? value.trim().slice(0, -1) : value);
  const rate = percent ? n / 100 : n;
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new UsageError(`--${flag}: "${value}" is not a rate from 0 to 1 (or 0% to 100%)`);
  }
  return rate;
}

function metadataPair(text: string): [string, string] {
  const separator = text.indexOf('=');
  if (separator <= 0) throw new UsageError(`--metadata "${text}" is not KEY=VALUE`);
  const key = text.slice(0, separator).trim().toLowerCase();
  if (key === 'authorization') throw new UsageError('--metadata authorization=… is not allowed: use --token or --id-token');
  const value = text.slice(separator + 1);
  try {
    // grpc-js's rules for keys and values, checked here so that every driver refuses the same pairs.
    new grpc.Metadata().add(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
  } catch (error) {
    throw new UsageError(`cannot send metadata "${key}": ${(error as Error).message}`);
  }
  return [key, value];
}

function callAuth(values: ConnectionFlagValues, env: Env): ConnectionSpec['auth'] {
  const idToken = values['id-token'] === true || values.audience !== undefined;
  if (idToken && values.token !== undefined) {
    throw new UsageError('--token and --id-token/--audience are two ways to authenticate: use one');
  }
  if (idToken) return { kind: 'id-token', ...(values.audience !== undefined && { audience: values.audience }) };
  const token = values.token ?? loadClientEnvironment(env).token;
  return token === undefined ? undefined : { kind: 'static', token };
}

/** A CA file that cannot be read is a mistake in the command line, found before anything connects. */
function readableCaFile(file: string): string {
  try {
    readFileSync(file);
  } catch (error) {
    throw new UsageError(`--ca-file: cannot read the CA file "${file}": ${(error as Error).message}`);
  }
  return file;
}

/**
 * The connection the flags ask for, and the --deadline. `env` gives the
 * environment fallbacks (CLOUDRUN_GRPC_TOKEN): pass CommandIO.env. Throws
 * UsageError on a bad value.
 */
export function connectOptionsFromFlags(values: ConnectionFlagValues, env: Env): ConnectionSpec & { readonly deadlineMs?: number } {
  const auth = callAuth(values, env);
  return {
    insecure: values.insecure ?? false,
    ...(values.authority !== undefined && { authority: values.authority }),
    ...(values['ca-file'] !== undefined && { caFile: readableCaFile(values['ca-file']) }),
    ...(auth !== undefined && { auth }),
    ...(values.metadata !== undefined && { metadata: values.metadata.map(metadataPair) }),
    ...(values.gzip === true && { gzip: true }),
    ...(values.deadline !== undefined && { deadlineMs: parsePositiveDuration('deadline', values.deadline) }),
  };
}
