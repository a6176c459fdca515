// What grpc-js's server call knows about its HTTP/2 stream and does not
// expose: the status it actually sent, the bytes it holds for the call, and a
// way to reset the stream. grpc-js ends some calls itself (an oversize or
// undecodable message, a bad grpc-timeout, an unknown encoding, a deadline)
// and tells interceptors only that the call was cancelled; the access log needs
// what the client got, and the memory budget needs the bytes.
//
// This is the one module that reads grpc-js's internals (BaseServerInterceptingCall
// in @grpc/grpc-js 1.14: `stream`, `decoder`, and `nextCall` on interceptors'
// calls; Server: `commonServerOptions`, the options it gives http2.createServer,
// and `http2Servers`, its servers and their sessions) and Node's (a session's
// open streams). test/server/abuse-status.test.ts fails if an upgrade moves them.
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
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
 * nghttp2's rapid-reset guard, as Node ≥ 22.10 lets http2.createServer set it (streamResetBurst and
 * streamResetRate: resets a connection may send at once, then per second). Its default, 1,000 then 33 a
 * second, counts every RST_STREAM a client sends, also for streams already answered, so it closes a
 * proxy's connection that carries its callers' cancels; premature-resets.ts is the guard instead. Node 20
 * has no such option and ignores these.
 */
export const RESET_LIMIT = 2 ** 32 - 1;

/** Whether this Node takes streamResetBurst and streamResetRate (22.10 and later). */
export function nodeTakesResetLimit(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 10);
}

/**
 * Lifts nghttp2's rapid-reset guard on the connections `server` accepts: call before it binds. Returns
 * whether this Node takes it; if not, such connections are still closed by nghttp2 (README, "Cancellations").
 */
export function liftResetLimit(server: grpc.Server): boolean {
  const options = (server as unknown as { commonServerOptions?: Record<string, unknown> }).commonServerOptions;
  if (typeof options !== 'object' || options === null) {
    throw new Error('@grpc/grpc-js no longer keeps the options it gives http2.createServer in commonServerOptions (src/server/call-transport.ts)');
  }
  options.streamResetBurst = RESET_LIMIT;
  options.streamResetRate = RESET_LIMIT;
  return nodeTakesResetLimit();
}

interface NodeSession {
  readonly [state: symbol]: { readonly streams?: ReadonlyMap<number, unknown> } | undefined;
}

/** The HTTP/2 streams open now on all the connections `server` has accepted, calls or not (for tests). */
export function openStreams(server: grpc.Server): number {
  const servers = (server as unknown as { http2Servers?: ReadonlyMap<unknown, { sessions: ReadonlySet<ServerHttp2Session> }> }).http2Servers;
  if (servers === undefined) throw new Error('@grpc/grpc-js no longer keeps its http2 servers in http2Servers (src/server/call-transport.ts)');
  let open = 0;
  for (const { sessions } of servers.values()) {
    for (const session of sessions) {
      const state = Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'state');
      const streams = state === undefined ? undefined : (session as unknown as NodeSession)[state]?.streams;
      if (streams === undefined) throw new Error("node:http2 no longer keeps a session's streams in its state (src/server/call-transport.ts)");
      open += streams.size;
    }
  }
  return open;
}
