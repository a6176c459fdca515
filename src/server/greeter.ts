// The four Greeter handlers, one function per RPC. Each validates its input,
// answers, and stops all work the moment the call is cancelled (client cancel,
// deadline, or the server's drain ending it).
import * as grpc from '@grpc/grpc-js';
import type { GreeterHandlers } from '../generated/helloworld/Greeter.js';
import type { HelloRequest__Output } from '../generated/helloworld/HelloRequest.js';
import type { HelloResponse } from '../generated/helloworld/HelloResponse.js';
import { streamingDisabledStatus } from './streaming.js';

export const MAX_NAME_LENGTH = 1024;
export const DEFAULT_REPLIES = 10;
export const MAX_REPLIES = 1_000_000;
export const MAX_INTERVAL_MS = 60_000;
export const MAX_RESPONSE_SIZE = 1024 * 1024;
/** LotsOfGreetings keeps this many names for its answer, however long the stream. */
const NAMES_KEPT = 3;

function invalidArgument(details: string): grpc.StatusObject {
  return { code: grpc.status.INVALID_ARGUMENT, details, metadata: new grpc.Metadata() };
}

/** The problem with a request, as an INVALID_ARGUMENT status a person can act on; undefined when it is fine. */
export function validateRequest(request: HelloRequest__Output): grpc.StatusObject | undefined {
  if (request.name.length === 0) return invalidArgument('name is empty: set HelloRequest.name to who should be greeted');
  if (request.name.length > MAX_NAME_LENGTH) {
    return invalidArgument(`name is ${request.name.length} characters long; the maximum is ${MAX_NAME_LENGTH}`);
  }
  if (request.count > MAX_REPLIES) return invalidArgument(`count is ${request.count}; the maximum is ${MAX_REPLIES}`);
  if (request.interval_ms > MAX_INTERVAL_MS) {
    return invalidArgument(`interval_ms is ${request.interval_ms}; the maximum is ${MAX_INTERVAL_MS}`);
  }
  if (request.response_size > MAX_RESPONSE_SIZE) {
    return invalidArgument(`response_size is ${request.response_size}; the maximum is ${MAX_RESPONSE_SIZE}`);
  }
  return undefined;
}

let zeros: Buffer | undefined;
/** Filler bytes: views of one zeroed buffer, so large replies cost no allocation per message. */
function filler(size: number): Buffer | undefined {
  if (size === 0) return undefined;
  zeros ??= Buffer.alloc(MAX_RESPONSE_SIZE);
  return zeros.subarray(0, size);
}

function reply(message: string, sequence: number, responseSize: number): HelloResponse {
  return { message, sequence, payload: filler(responseSize) };
}

export function sayHello(
  call: grpc.ServerUnaryCall<HelloRequest__Output, HelloResponse>,
  callback: grpc.sendUnaryData<HelloResponse>,
): void {
  const invalid = validateRequest(call.request);
  if (invalid) return callback(invalid);
  callback(null, reply(`Hello, ${call.request.name}!`, 1, call.request.response_size));
}

export function lotsOfReplies(call: grpc.ServerWritableStream<HelloRequest__Output, HelloResponse>): void {
  const { request } = call;
  const invalid = validateRequest(request);
  if (invalid) {
    call.emit('error', invalid);
    return;
  }
  const count = request.count || DEFAULT_REPLIES;
  const interval = request.interval_ms;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;

  const writeNext = (): void => {
    timer = undefined;
    while (!call.cancelled && sent < count) {
      sent += 1;
      const writable = call.write(reply(`Hello, ${request.name}! (${sent} of ${count})`, sent, request.response_size));
      if (sent === count) break;
      // Flow control: while the client is not reading, wait for the stream to drain.
      if (!writable) return void call.once('drain', scheduleNext);
      if (interval > 0) return void (timer = setTimeout(writeNext, interval));
    }
    call.off('cancelled', stop);
    if (!call.cancelled) call.end();
  };
  const scheduleNext = (): void => {
    if (interval > 0) timer = setTimeout(writeNext, interval);
    else writeNext();
  };
  const stop = (): void => {
    clearTimeout(timer);
    call.off('drain', scheduleNext);
  };
  call.once('cancelled', stop);
  writeNext();
}

export function lotsOfGreetings(
  call: grpc.ServerReadableStream<HelloRequest__Output, HelloResponse>,
  callback: grpc.sendUnaryData<HelloResponse>,
): void {
  let received = 0;
  let failed = false;
  const names: string[] = [];
  call.on('data', (request: HelloRequest__Output) => {
    if (failed) return;
    const invalid = validateRequest(request);
    if (invalid) {
      failed = true;
      invalid.details = `message ${received + 1}: ${invalid.details}`;
      return callback(invalid);
    }
    received += 1;
    if (names.length < NAMES_KEPT) names.push(request.name);
  });
  call.on('end', () => {
    if (failed) return;
    const others = received - names.length;
    const who = names.length === 0 ? 'nobody' : names.join(', ') + (others > 0 ? ` and ${others} more` : '');
    callback(null, { message: `Hello, ${who}! (${received} ${received === 1 ? 'greeting' : 'greetings'} received)`, sequence: received });
  });
}

export function bidiHello(call: grpc.ServerDuplexStream<HelloRequest__Output, HelloResponse>): void {
  let sequence = 0;
  let failed = false;
  call.on('data', (request: HelloRequest__Output) => {
    if (failed || call.cancelled) return;
    const invalid = validateRequest(request);
    if (invalid) {
      failed = true;
      invalid.details = `message ${sequence + 1}: ${invalid.details}`;
      return void call.emit('error', invalid);
    }
    sequence += 1;
    // Flow control: stop reading while the client is not reading our replies.
    if (!call.write(reply(`Hello, ${request.name}!`, sequence, request.response_size))) {
      call.pause();
      call.once('drain', () => call.resume());
    }
  });
  call.on('end', () => {
    if (!failed && !call.cancelled) call.end();
  });
}

/** The Greeter's handlers; with streaming off the three streaming RPCs end at once with UNIMPLEMENTED. */
export function greeterHandlers(streaming: boolean): GreeterHandlers {
  if (streaming) {
    return { SayHello: sayHello, LotsOfReplies: lotsOfReplies, LotsOfGreetings: lotsOfGreetings, BidiHello: bidiHello };
  }
  return {
    SayHello: sayHello,
    LotsOfReplies: (call) => void call.emit('error', streamingDisabledStatus('LotsOfReplies')),
    LotsOfGreetings: (_call, callback) => callback(streamingDisabledStatus('LotsOfGreetings')),
    BidiHello: (call) => void call.emit('error', streamingDisabledStatus('BidiHello')),
  };
}
