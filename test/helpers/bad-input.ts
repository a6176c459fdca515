// Malformed requests a server meets on the open internet, sent over raw
// HTTP/2 (node:http2) and raw TCP so that nothing in a gRPC client tidies
// them up first. Shared by test/server/bad-input.test.ts and bench/fuzz.ts.
import { connect as http2Connect, constants, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { SAY_HELLO, grpcFrame, grpcHeaders } from './attacks.js';

/** What came back: an HTTP status, a gRPC status, or the stream or connection being cut. */
export interface BadInputOutcome {
  readonly httpStatus?: number;
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  /** The stream was reset or the connection closed without a status. */
  readonly cut?: boolean;
}

export interface BadInput {
  readonly name: string;
  send(address: string): Promise<BadInputOutcome>;
}

const TIMEOUT_MS = 10_000;

/** HelloRequest{name: "fuzz"}: field 1, wire type 2, length 4. */
const GOOD_REQUEST = Buffer.from([0x0a, 0x04, ...Buffer.from('fuzz')]);

/** One request on a session of its own (so a connection-level error stays with it), read to its end. */
function request(address: string, headers: OutgoingHttpHeaders, body: Buffer | undefined): Promise<BadInputOutcome> {
  return new Promise((resolve) => {
    const outcome: { httpStatus?: number; grpcStatus?: number; grpcMessage?: string; cut?: boolean } = {};
    const session: ClientHttp2Session = http2Connect(`http://${address}`);
    const timer = setTimeout(() => finish(true), TIMEOUT_MS);
    const finish = (cut = false): void => {
      clearTimeout(timer);
      if (cut && outcome.grpcStatus === undefined) outcome.cut = true;
      session.destroy();
      resolve(outcome);
    };
    const take = (h: Record<string, unknown>): void => {
      if (h[':status'] !== undefined) outcome.httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) outcome.grpcStatus = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) outcome.grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    session.on('error', () => finish(true));
    const stream = session.request(headers, { endStream: body === undefined });
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', () => {});
    stream.on('error', () => finish(true));
    stream.on('close', () => finish(stream.rstCode !== constants.NGHTTP2_NO_ERROR));
    if (body !== undefined) stream.end(body);
  });
}

/** Bytes straight onto a TCP connection; resolves when the server closes it. */
function rawBytes(address: string, bytes: Buffer): Promise<BadInputOutcome> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = tcpConnect(port, host, () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), TIMEOUT_MS);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ cut: true });
    });
  });
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const BAD_INPUTS: readonly BadInput[] = [
  { name: 'truncated message (length says 10, 3 bytes sent)', send: (a) => request(a, grpcHeaders(SAY_HELLO), grpcFrame(GOOD_REQUEST.subarray(0, 3), { length: 10 })) },
  { name: 'bytes that are not a HelloRequest', send: (a) => request(a, grpcHeaders(SAY_HELLO), grpcFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))) },
  { name: 'a cut-off frame header', send: (a) => request(a, grpcHeaders(SAY_HELLO), Buffer.from([0, 0, 0])) },
  { name: 'no request message at all', send: (a) => request(a, grpcHeaders(SAY_HELLO), undefined) },
  { name: 'two request messages to a unary method', send: (a) => request(a, grpcHeaders(SAY_HELLO), Buffer.concat([grpcFrame(GOOD_REQUEST), grpcFrame(GOOD_REQUEST)])) },
  { name: 'compressed flag without grpc-encoding', send: (a) => request(a, grpcHeaders(SAY_HELLO), grpcFrame(GOOD_REQUEST, { compressed: true })) },
  { name: 'unknown grpc-encoding', send: (a) => request(a, grpcHeaders(SAY_HELLO, { 'grpc-encoding': 'snappy' }), grpcFrame(GOOD_REQUEST, { compressed: true })) },
  { name: 'a length prefix of 2 GiB', send: (a) => request(a, grpcHeaders(SAY_HELLO), grpcFrame(Buffer.alloc(16), { length: 0x7fffffff })) },
  { name: 'content-type application/json', send: (a) => request(a, grpcHeaders(SAY_HELLO, { 'content-type': 'application/json' }), Buffer.from('{"name":"fuzz"}')) },
  { name: 'no content-type, GET', send: (a) => request(a, { ':method': 'GET', ':path': SAY_HELLO }, undefined) },
  { name: 'unknown method', send: (a) => request(a, grpcHeaders(SAY_HELLO, { ':path': '/helloworld.Greeter/Nope' }), grpcFrame(GOOD_REQUEST)) },
  { name: 'unknown service', send: (a) => request(a, grpcHeaders(SAY_HELLO, { ':path': '/no.Such/Service' }), grpcFrame(GOOD_REQUEST)) },
  { name: 'a malformed grpc-timeout', send: (a) => request(a, grpcHeaders(SAY_HELLO, { 'grpc-timeout': 'soon' }), grpcFrame(GOOD_REQUEST)) },
  { name: '64 KiB of metadata', send: (a) => request(a, grpcHeaders(SAY_HELLO, { 'x-big': 'a'.repeat(64 * 1024) }), grpcFrame(GOOD_REQUEST)) },
  { name: '1 MiB of metadata', send: (a) => request(a, grpcHeaders(SAY_HELLO, { 'x-big': 'a'.repeat(1024 * 1024) }), grpcFrame(GOOD_REQUEST)) },
  { name: 'bytes that are not HTTP/2', send: (a) => rawBytes(a, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff garbage')) },
  { name: 'the HTTP/2 preface then garbage frames', send: (a) => rawBytes(a, Buffer.concat([PREFACE, Buffer.from([0, 0, 4, 0xee, 0xff, 0, 0, 0, 9, 1, 2, 3, 4]), Buffer.alloc(64, 0xab)])) },
];
