// `cloudrun-grpc call TARGET SERVICE/METHOD`: any method, by name, as grpcurl
// calls it: its descriptors from the server's reflection (or --proto,
// --protoset), the request(s) in protobuf's JSON mapping, each reply printed
// as a line of JSON, exit code the call's status.
import { createReadStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_DEADLINE_MS, genericClient } from '../client/connect.js';
import { findMethod, splitMethodName, type MethodTypes } from '../client/descriptors.js';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, connectOptionsFromFlags, UsageError } from '../client/flags.js';
import { decodeToJson, encodeJson, RequestDataError } from '../client/json.js';
import { noMoreArguments, parseCommandArgs, runCall, TARGET_USAGE } from './call.js';
import type { Command, CommandIO } from './command.js';
import { DESCRIPTOR_FLAGS, DESCRIPTOR_FLAGS_USAGE, loadDescriptors } from './descriptor-flags.js';
import { jsonValues, JsonStreamError } from './json-stream.js';

const FLAGS = {
  ...CONNECTION_FLAGS,
  ...DESCRIPTOR_FLAGS,
  data: { type: 'string', short: 'd' },
  'data-file': { type: 'string', short: 'D' },
} as const;

const identity = (bytes: Buffer): Buffer => bytes;

/** Where the request JSON comes from: -d's text, -D's file or stdin (read as it comes), or `{}`. */
async function* dataChunks(values: { data?: string; 'data-file'?: string }, io: CommandIO): AsyncGenerator<string | Buffer> {
  if (values['data-file'] === '-') return yield* io.stdin as AsyncIterable<Buffer>;
  if (values['data-file'] !== undefined) {
    try {
      return yield* createReadStream(values['data-file']) as AsyncIterable<Buffer>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).syscall !== 'open') throw error;
      throw new UsageError(`--data-file: cannot read "${values['data-file']}": ${(error as Error).message}`);
    }
  }
  yield values.data ?? '{}';
}

/** The request messages, encoded, as they are read: each JSON object one message; an array's elements one each. */
async function* requestMessages(types: MethodTypes, chunks: AsyncIterable<string | Buffer>, flag: string): AsyncGenerator<Buffer> {
  let n = 0;
  try {
    for await (const value of jsonValues(chunks)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        n += 1;
        try {
          yield encodeJson(types.requestType, item);
        } catch (error) {
          if (!(error instanceof RequestDataError)) throw error;
          throw new UsageError(`${flag}: message ${n}: ${error.message}`);
        }
      }
    }
  } catch (error) {
    if (error instanceof JsonStreamError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

/** A unary or server-streaming method's one request. */
async function onlyMessage(messages: AsyncIterable<Buffer>, types: MethodTypes, flag: string): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const message of messages) all.push(message);
  if (all.length !== 1) throw new UsageError(`${flag}: ${types.path.slice(1)} takes one request message, not ${all.length} (only client and bidi streams take several)`);
  return all[0] as Buffer;
}

/** Writes each message, waiting while the stream is full, then half-closes; a bad message cancels the call. */
async function sendAll(call: grpc.ClientWritableStream<Buffer>, messages: AsyncIterable<Buffer>): Promise<void> {
  try {
    for await (const message of messages) {
      if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
    }
    call.end();
  } catch (error) {
    call.cancel();
    throw error;
  }
}

export const callCommand: Command = {
  name: 'call',
  summary: 'any method by name, as grpcurl: JSON in, one JSON line per reply out',
  usage: `Usage: cloudrun-grpc call [options] TARGET SERVICE/METHOD

Calls METHOD (package.Service/Method, or package.Service.Method) with the request in protobuf's JSON
mapping and prints each reply as one line of JSON (lowerCamelCase names, fields at their defaults left
out). Client and bidi streams send every message given, bidi ones as soon as each is read.

Request:
  -d, --data JSON        the request: a JSON object, or for client and bidi streams several objects one
                         after another (or an array of them). Default: {}
  -D, --data-file FILE   read the request(s) from FILE ("-": stdin, each message sent as it is read)

${DESCRIPTOR_FLAGS_USAGE}

${CONNECTION_FLAGS_USAGE}
  --help, -h             this help

${TARGET_USAGE}`,
  flags: FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, FLAGS);
    const [target, method, ...extra] = positionals;
    noMoreArguments(extra);
    if (target !== undefined && method === undefined) throw new UsageError('missing SERVICE/METHOD');
    if (method !== undefined) splitMethodName(method);
    if (values.data !== undefined && values['data-file'] !== undefined) throw new UsageError('give --data or --data-file, not both');
    const flag = values['data-file'] === undefined ? '--data' : '--data-file';
    return runCall(io, values, target, genericClient, async (client) => {
      const { deadlineMs = DEFAULT_DEADLINE_MS, ...connection } = connectOptionsFromFlags(values, io.env);
      const server = { target: target as string, connection, deadlineMs };
      const [service] = splitMethodName(method as string);
      const { root } = await loadDescriptors(values, server, service);
      const types = findMethod(root, method as string);
      const messages = requestMessages(types, dataChunks(values, io), flag);
      const print = (bytes: Buffer): void => void io.stdout.write(`${decodeToJson(types.responseType, bytes)}\n`);
      switch (types.kind) {
        case 'unary': {
          const request = await onlyMessage(messages, types, flag);
          const reply = await new Promise<Buffer>((resolve, reject) =>
            client.makeUnaryRequest(types.path, identity, identity, request, (error, response) => (error ? reject(error) : resolve(response!))),
          );
          return print(reply);
        }
        case 'server': {
          const call = client.makeServerStreamRequest(types.path, identity, identity, await onlyMessage(messages, types, flag));
          call.on('data', print);
          return void (await finished(call));
        }
        case 'client': {
          let call!: grpc.ClientWritableStream<Buffer>;
          const reply = new Promise<Buffer>((resolve, reject) => {
            call = client.makeClientStreamRequest(types.path, identity, identity, (error, response) => (error ? reject(error) : resolve(response!)));
          });
          const [response] = await Promise.all([reply, sendAll(call, messages)]);
          return print(response);
        }
        case 'bidi': {
          const call = client.makeBidiStreamRequest(types.path, identity, identity);
          call.on('data', print);
          return void (await Promise.all([finished(call), sendAll(call, messages)]));
        }
      }
    });
  },
};
