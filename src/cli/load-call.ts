// `load`'s flags for the method called and what it is sent (ghz's names):
// --call, --proto, --import-paths, --data, --data-file. Parsing checks what
// can be checked without the server; readCallData then reads --data-file
// (stdin for "-") before the run.
import { readFile } from 'node:fs/promises';
import { UsageError, type ConnectionFlagValues } from '../client/flags.js';
import type { ConnectionSpec } from '../client/connect.js';
import { descriptorSetFile, protoFiles, splitMethodName } from '../client/descriptors.js';
import { greeterCall, type CallSpec } from '../load/call/requests.js';
import type { Shape } from '../load/plan.js';
import type { CommandIO } from './command.js';

export const CALL_FLAGS = {
  call: { type: 'string' },
  proto: { type: 'string' },
  'import-paths': { type: 'string', short: 'i' },
  data: { type: 'string', short: 'd' },
  'data-file': { type: 'string', short: 'D' },
} as const;

export const CALL_FLAGS_USAGE = `Method and data (ghz's flags):
  --call M               the method to call, package.Service/Method (or package.Service.Method); its
                         kind (unary, server, client, bidi streaming) comes from its descriptor.
                         Default: the Greeter's method of --shape
  --proto FILE           the .proto that defines it (default: ask the server, grpc.reflection.v1
                         or v1alpha)
  -i, --import-paths DIRS  comma-separated directories to find FILE's imports in (FILE's own is searched)
  -d, --data JSON        the request in protobuf's JSON mapping; an array sends one element per call
                         in turn, or, for client and bidi streams, the messages of each stream.
                         Templates are rendered per call: {{.RequestNumber}}, {{.WorkerID}}, {{.UUID}},
                         {{.TimestampUnix}}, {{.TimestampUnixMilli}}, {{randomString N}},
                         {{randomInt MIN MAX}} (also in --metadata values). Default: {} (the Greeter:
                         its request from the Streams flags)
  -D, --data-file FILE   read --data from FILE ("-": stdin; -d @ too, as ghz)`;

export interface CallFlagValues {
  call?: string;
  proto?: string;
  'import-paths'?: string;
  data?: string;
  'data-file'?: string;
  shape?: string;
}

export interface ParsedCall {
  /** Undefined: the Greeter's method of the shape, its default request (no flag of this module given). */
  readonly call: CallSpec | undefined;
  /** --data-file, read by readCallData before the run. */
  readonly dataFile: string | undefined;
  /** -b ("-") or -B FILE, read by readCallBinary before the run. */
  readonly binaryFile: string | undefined;
  /** The connection, less the --metadata values that are templates (they are the call's, rendered per call). */
  readonly connection: ConnectionSpec;
}

/** What ghz's flags add to the call (load-ghz.ts). */
export interface GhzCallSettings {
  readonly protoset: string | undefined;
  readonly binaryFile: string | undefined;
  readonly reflectMetadata: readonly (readonly [string, string])[] | undefined;
}

const NO_GHZ: GhzCallSettings = { protoset: undefined, binaryFile: undefined, reflectMetadata: undefined };

/** The call flags → the call (descriptors still to fetch when they come from reflection). */
export function parseCallArgs(values: CallFlagValues & ConnectionFlagValues, shape: Shape, connection: ConnectionSpec, ghz: GhzCallSettings = NO_GHZ): ParsedCall {
  if (values.call !== undefined && values.shape !== undefined) throw new UsageError('give --shape (the Greeter) or --call, not both');
  if (values.proto !== undefined && ghz.protoset !== undefined) throw new UsageError('give --proto or --protoset, not both');
  const described = values.proto ?? ghz.protoset;
  if (described !== undefined && values.call === undefined) throw new UsageError(`--${values.proto === undefined ? 'protoset' : 'proto'} needs --call: say which of its methods to call`);
  if (values['import-paths'] !== undefined && values.proto === undefined) throw new UsageError('--import-paths needs --proto');
  const dataFile = values.data === '@' ? '-' : values['data-file'];
  const data = values.data === '@' ? undefined : values.data;
  if (data !== undefined && dataFile !== undefined) throw new UsageError('give --data or --data-file, not both');
  if (ghz.binaryFile !== undefined && (data !== undefined || dataFile !== undefined)) throw new UsageError('give --data (or --data-file) or binary data (-b, -B), not both');
  if (ghz.reflectMetadata !== undefined && (described !== undefined || values.call === undefined)) throw new UsageError('--reflect-metadata is for the reflection request: not with --proto or --protoset, and only with --call');
  const templated = (connection.metadata ?? []).filter(([, value]) => value.includes('{{'));
  const plain = (connection.metadata ?? []).filter(([, value]) => !value.includes('{{'));
  const rest: ConnectionSpec = { ...connection, ...(connection.metadata !== undefined && { metadata: plain }) };
  if (values.call === undefined && data === undefined && dataFile === undefined && ghz.binaryFile === undefined && templated.length === 0) {
    return { call: undefined, dataFile: undefined, binaryFile: undefined, connection };
  }
  const base = values.call === undefined ? greeterCall(shape) : undefined;
  if (values.call !== undefined) {
    try {
      splitMethodName(values.call);
    } catch (error) {
      throw new UsageError(`--call: ${(error as Error).message}`);
    }
  }
  const importPaths = (values['import-paths'] ?? '').split(',').map((dir) => dir.trim()).filter((dir) => dir !== '');
  const descriptors = (): CallSpec['descriptors'] => {
    if (values.proto !== undefined) return protoFiles(values.proto, importPaths);
    if (ghz.protoset !== undefined) return descriptorSetFile(ghz.protoset);
    return { from: 'reflection' };
  };
  const call: CallSpec = {
    method: base?.method ?? (values.call as string),
    descriptors: base?.descriptors ?? descriptors(),
    data,
    metadataTemplates: templated,
    ...(ghz.reflectMetadata !== undefined && { reflectMetadata: ghz.reflectMetadata }),
  };
  return { call, dataFile, binaryFile: ghz.binaryFile, connection: rest };
}

/** -b / -B: one serialized request message, from stdin ("-") or a file. */
export async function readCallBinary(file: string, io: Pick<CommandIO, 'stdin'>): Promise<Uint8Array> {
  if (file === '-') return readStdin(io);
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`-B, --binary-file: cannot read "${file}": ${(error as Error).message}`);
  }
}

/** --data-file's text: the file's, or stdin's for "-". */
export async function readCallData(file: string, io: Pick<CommandIO, 'stdin'>): Promise<string> {
  if (file === '-') return (await readStdin(io)).toString('utf8');
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--data-file: cannot read "${file}": ${(error as Error).message}`);
  }
}

async function readStdin(io: Pick<CommandIO, 'stdin'>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
