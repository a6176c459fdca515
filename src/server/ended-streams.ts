// No HTTP/2 stream outlives its call. grpc-js ends a call by sending its
// status (trailers with END_STREAM) and stops there. A client that has not
// ended its own side by then (grpc-go, when flow control held back the rest of
// a message the server refused) never does: the stream stays half-closed on
// the server for ever, holding one of the connection's MAX_CONCURRENT_STREAMS,
// while the client counts it as done, so its next call beyond the limit is
// refused (on Node 22 with a GOAWAY for the whole connection). As grpc-go's and
// C-core's servers do (RFC 9113 §8.1), such a stream is reset with NO_ERROR
// once its status is on the wire. Not before: a stream reset while its
// trailers wait in nghttp2's queue loses them, and the client never sees its
// status.
//
// Only calls whose client had not ended its side when the call ended come
// here (calls.ts); a unary call's request has always ended first, so the hot
// path never does.
import { constants, type ServerHttp2Stream } from 'node:http2';

/** How often a stream whose status is still queued is looked at again. */
export const RECHECK_MS = 10;

export class EndedStreams {
  private waiting: ServerHttp2Stream[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly check = (): void => this.resetThoseSent();

  /** A call on `stream` has ended (its status sent or queued): reset the stream once the status is out, unless the client ends it first. */
  add(stream: ServerHttp2Stream | undefined): void {
    if (stream === undefined || stream.closed || stream.destroyed) return;
    this.waiting.push(stream);
    // Node writes what nghttp2 has queued in its own immediate, which runs before this one.
    this.immediate ??= setImmediate(this.check);
  }

  /** Streams waiting for their status to go out. */
  get size(): number {
    return this.waiting.length;
  }

  private resetThoseSent(): void {
    this.immediate = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const still: ServerHttp2Stream[] = [];
    for (const stream of this.waiting) {
      if (stream.closed || stream.destroyed) continue;
      // nghttp2's view of the stream: localClose once our END_STREAM has been written, remoteClose once the client's arrived.
      const { localClose, remoteClose } = stream.state;
      if (remoteClose === 1) continue; // the client has ended its side: the stream closes by itself once the status is out
      if (localClose === 1) stream.close(constants.NGHTTP2_NO_ERROR);
      else still.push(stream);
    }
    this.waiting = still;
    // Unref'd: a stream waiting here never keeps a draining process alive.
    if (still.length > 0) this.timer = setTimeout(this.check, RECHECK_MS).unref();
  }
}
