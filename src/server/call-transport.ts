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
// `http2Servers`, its servers and their sessions, and `_retrieveHandler`) and
// Node's (a session's open streams). test/server/abuse-status.test.ts and
// test/server/metrics.test.ts fail if an upgrade moves them.
import type { Http2Session, SecureServerOptions, ServerHttp2Stream } from 'node:http2';
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
  /** Messages decoded and not yet handed on: grpc-js's `readQueue`. */
  readonly readQueue?: readonly unknown[];
}

/** StreamDecoder's ReadState: NO_DATA between messages, READING_MESSAGE inside one. */
const NO_DATA = 0;
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

/**
 * Whether the client's END_STREAM has reached the call's stream, whether or not grpc-js has read that far
 * (Readable's `ended`: EOF pushed, not yet necessarily emitted).
 */
export function requestEndReceived(transport: CallTransport | undefined): boolean {
  const stream = transport?.stream as { readableEnded?: boolean; _readableState?: { ended?: boolean } } | undefined;
  return stream !== undefined && (stream.readableEnded === true || stream._readableState?.ended === true);
}

/**
 * Whether any of the call's request had reached the server: a message decoded, or bytes of one read or
 * buffered. Asked only of calls whose client reset them, once they are over.
 */
export function requestArrived(transport: CallTransport | undefined): boolean {
  if (transport === undefined) return false;
  const { stream, decoder, readQueue } = transport;
  return (readQueue?.length ?? 0) > 0 || decoder.readState !== NO_DATA || stream.readableLength > 0;
}

/** Whether the call's stream has closed: a status sent now would reach nobody. */
export function streamClosed(transport: CallTransport | undefined): boolean {
  const stream = transport?.stream;
  return stream !== undefined && (stream.closed || stream.destroyed);
}

// Connections. A peer that stops reading shuts the HTTP/2 window: neither a status nor a RST_STREAM gets past
// the replies queued for it (Node sends a reset only once the socket has taken the data before it), so
// what its streams hold is let go only with the connection.

/** The HTTP/2 connection the call's stream belongs to. */
export function connectionOf(transport: CallTransport | undefined): Http2Session | undefined {
  return transport?.stream.session;
}

/**
 * Bytes handed to the connection's socket and not yet sent: net.Socket's bufferSize counts libuv's write
 * queue, where node:http2 writes, as well as its own buffer.
 */
export function socketBacklog(session: Http2Session): number {
  if (session.destroyed) return 0;
  return (session.socket as { bufferSize?: number } | undefined)?.bufferSize ?? 0;
}

/**
 * Bytes the connection's socket has sent so far: whether a peer reads shows here, and only here (node:http2
 * writes to the socket's handle, not through the socket, and the peer's HTTP/2 connection window stays open
 * while it leaves its streams unread). Read from the handle (libuv's stream), -1 when there is none.
 */
export function socketBytesSent(session: Http2Session): number {
  if (session.destroyed) return -1;
  const handle = (session.socket as { _handle?: { bytesWritten?: number } | null } | undefined)?._handle;
  return handle?.bytesWritten ?? -1;
}

/** "address:port" of the connection's peer. */
export function connectionPeer(session: Http2Session): string {
  const socket = session.socket;
  if (socket?.remoteAddress === undefined) return 'unknown';
  return `${socket.remoteAddress}:${socket.remotePort}`;
}

/** node:http2's own socket under the proxy that session.socket returns (Http2Session[kSocket] in Node 20 and 22). */
function rawSocket(session: Http2Session): { destroyed: boolean; destroy(): void } | undefined {
  const key = Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'socket');
  return key === undefined ? undefined : (session as unknown as Record<symbol, { destroyed: boolean; destroy(): void } | undefined>)[key];
}

/**
 * Destroys the connection, with everything its streams hold, on the next turn of the event loop: the sweep
 * that decides may run inside a write's callback, under node:http2's native loop over the session's streams,
 * and destroying the session there frees what that loop still reads (Node 20 aborts: "corrupted size vs.
 * prev_size"). destroy(), not close(): a GOAWAY would wait behind the replies the peer does not read. The
 * session's destroy() then only ends its socket, which waits for the peer (for ever, for a peer that neither
 * reads nor closes; so does a session closed with a GOAWAY): the socket is destroyed too, a turn later,
 * through the session's own reference (its proxy, session.socket, forbids destroy()).
 */
export function destroyConnection(session: Http2Session): void {
  const socket = rawSocket(session);
  setImmediate(() => {
    if (!session.destroyed) session.destroy();
    if (socket !== undefined) setImmediate(() => socket.destroyed || socket.destroy());
  });
}

/**
 * The HTTP/2 connections grpc-js's server holds open (Server.http2Servers in 1.14: per listening server,
 * its sessions); the drain closes the idle ones itself, since grpc-js waits for each peer to close.
 */
export function serverConnections(server: grpc.Server): Http2Session[] {
  const servers = (server as unknown as { http2Servers?: Map<unknown, { sessions: Set<Http2Session> }> }).http2Servers;
  if (servers === undefined) throw new Error('@grpc/grpc-js no longer keeps its http2 servers in http2Servers (src/server/call-transport.ts)');
  const sessions: Http2Session[] = [];
  for (const info of servers.values()) sessions.push(...info.sessions);
  return sessions;
}

/**
 * Adds `options` to those grpc-js gives http2.createSecureServer for `credentials` (its
 * _getConstructorOptions(), which has no other way in: grpc.ServerOptions are channel arguments).
 */
export function withServerOptions(credentials: grpc.ServerCredentials, options: SecureServerOptions): grpc.ServerCredentials {
  const own = credentials._getConstructorOptions.bind(credentials);
  credentials._getConstructorOptions = () => ({ ...own(), ...options });
  return credentials;
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
 * whether this Node takes it; if not, such connections are still closed by nghttp2 (README, "Streams and resets").
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
  let open = 0;
  for (const session of serverConnections(server)) {
    const state = Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'state');
    const streams = state === undefined ? undefined : (session as unknown as NodeSession)[state]?.streams;
    if (streams === undefined) throw new Error("node:http2 no longer keeps a session's streams in its state (src/server/call-transport.ts)");
    open += streams.size;
  }
  return open;
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
