// What grpc-js's server call knows about its HTTP/2 stream and does not
// expose: the status it actually sent, the bytes it holds for the call, and a
// way to reset the stream. grpc-js ends some calls itself (an oversize or
// undecodable message, a bad grpc-timeout, an unknown encoding, a deadline)
// and tells interceptors only that the call was cancelled; the access log needs
// what the client got, and the memory budget needs the bytes.
//
// This is the one module that reads grpc-js's internals (BaseServerInterceptingCall
// in @grpc/grpc-js 1.14: `stream`, `decoder`, and `nextCall` on interceptors'
// calls; Server's `_retrieveHandler`). test/server/abuse-status.test.ts and
// test/server/metrics.test.ts fail if an upgrade moves them.
import type { ServerHttp2Stream } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** grpc-js's StreamDecoder: a message of `readMessageSize` bytes of which `readMessageRemaining` have not arrived. */
interface PartialMessage {
  readonly readState: number;
  readonly readMessageSize: number;
  readonly readMessageRemaining: number;
}

/** The innermost call, which owns the stream: found once per call (transportOf), then asked directly. */
export interface CallTransport {
  readonly stream: ServerHttp2Stream;
  readonly decoder: PartialMessage;
}

/** StreamDecoder's ReadState.READING_MESSAGE. */
const READING_MESSAGE = 2;
/** gRPC's length prefix before each message: a compression flag and a 4-byte length. */
const MESSAGE_PREFIX_BYTES = 5;
/** Interceptors wrap the base call; XdsServer adds a few of its own. */
const MAX_DEPTH = 8;

/** The call that owns `call`'s stream, through the interceptors' calls between them; undefined if none does. */
export function transportOf(call: grpc.ServerInterceptingCallInterface): CallTransport | undefined {
  let inner: unknown = call;
  for (let depth = 0; depth < MAX_DEPTH && inner !== undefined && inner !== null; depth += 1) {
    if ((inner as Partial<CallTransport>).stream !== undefined) return inner as CallTransport;
    inner = (inner as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

function sentHeaders(transport: CallTransport | undefined): Record<string, unknown> | undefined {
  const stream = transport?.stream;
  // Trailers, or the headers of a trailers-only reply.
  return stream === undefined ? undefined : (stream.sentTrailers ?? stream.sentHeaders);
}

/**
 * The status code the server sent the client on this call's stream, or undefined when it sent none (the
 * client reset the stream first, or the connection went). Allocates nothing: it runs for every call.
 */
export function sentCode(transport: CallTransport | undefined): grpc.status | undefined {
  const code = sentHeaders(transport)?.['grpc-status'];
  return code === undefined ? undefined : Number(code);
}

/** The details (grpc-message) sent with that status, if any. */
export function sentDetails(transport: CallTransport | undefined): string | undefined {
  const message = sentHeaders(transport)?.['grpc-message'];
  return message === undefined || message === '' ? undefined : decodeURIComponent(String(message));
}

/**
 * Bytes this call holds in memory: the part of a request message that has arrived (grpc-js keeps it until
 * the whole message is there), request bytes read but not yet taken, and reply bytes written but not yet
 * taken by the client (flow control holds them while it does not read).
 */
export function heldBytes(transport: CallTransport | undefined): number {
  if (transport === undefined) return 0;
  const { stream, decoder } = transport;
  const partial = decoder.readState === READING_MESSAGE ? decoder.readMessageSize - decoder.readMessageRemaining : 0;
  return partial + stream.readableLength + stream.writableLength;
}

/**
 * Resets the call's stream with HTTP/2 error `code`, after the status the call has sent: for a call whose
 * client does not read, a status cannot get past the replies waiting for it, and the memory the stream holds
 * (and a client still sending) is let go only with the stream. gRPC clients report ENHANCE_YOUR_CALM as
 * RESOURCE_EXHAUSTED.
 */
export function resetStream(transport: CallTransport | undefined, code: number): void {
  const stream = transport?.stream;
  if (stream !== undefined && !stream.destroyed) stream.close(code);
}

/** Whether the call's stream has closed: a status sent now would reach nobody. */
export function streamClosed(transport: CallTransport | undefined): boolean {
  const stream = transport?.stream;
  return stream !== undefined && (stream.closed || stream.destroyed);
}

/**
 * Bytes written to the stream and not yet taken by the socket: read before a reply is sent, it lets
 * replyBytesSince() find the reply's size without serializing it again.
 */
export function queuedBytes(transport: CallTransport | undefined): number {
  return transport === undefined ? 0 : transport.stream.writableLength;
}

/** The size of the reply message written since queuedBytes() said `queuedBefore` (0 if none was). */
export function replyBytesSince(transport: CallTransport | undefined, queuedBefore: number): number {
  const written = queuedBytes(transport) - queuedBefore;
  return written > 0 ? written - MESSAGE_PREFIX_BYTES : 0;
}

/**
 * The size of the request message just received (as it came, compressed or not). Exact for the one request of a
 * unary or server-streaming call; a client stream whose DATA frame carried several messages has each counted at
 * the size of the last of them.
 */
export function requestBytes(transport: CallTransport | undefined): number {
  return transport === undefined ? 0 : transport.decoder.readMessageSize;
}

/** grpc-js's handler record for a method (Server.register). */
export interface UntypedHandler {
  readonly func: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void;
  readonly serialize: (value: Buffer) => Buffer;
  readonly deserialize: (bytes: Buffer) => Buffer;
  readonly type: 'bidi';
  readonly path: string;
}

/**
 * Has `server` give a call to a path no service registered to `handlerFor(path)`, through the interceptors,
 * instead of answering it UNIMPLEMENTED itself before any interceptor sees it.
 */
export function routeUnregisteredMethods(server: grpc.Server, handlerFor: (path: string) => UntypedHandler): void {
  const internals = server as unknown as { _retrieveHandler?: (path: string) => unknown };
  const retrieve = internals._retrieveHandler;
  if (typeof retrieve !== 'function') throw new Error('@grpc/grpc-js has no Server._retrieveHandler: see call-transport.ts');
  internals._retrieveHandler = function retrieveOrFallBack(this: grpc.Server, path: string) {
    return retrieve.call(this, path) ?? handlerFor(path);
  };
}
