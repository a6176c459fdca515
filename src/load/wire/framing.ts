// gRPC's length-prefixed messages on an HTTP/2 stream: a 1-byte compressed
// flag, a 4-byte big-endian length, the message. Requests are framed once per
// run (every call sends the same bytes); replies are cut out of DATA chunks as
// they come, several to a chunk or one across many.
import { gzipSync } from 'node:zlib';

export const PREFIX_BYTES = 5;

/** One framed message, gzipped (flag 1) when `gzip` is set. */
export function frameMessage(message: Buffer, gzip: boolean): Buffer {
  const body = gzip ? gzipSync(message) : message;
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + body.length);
  frame[0] = gzip ? 1 : 0;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, PREFIX_BYTES);
  return frame;
}

/** `count` copies of `frame` back to back: several messages in one write, so in one DATA frame when they fit. */
export function repeatFrame(frame: Buffer, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

export type MessageSink = (compressed: boolean, message: Buffer) => void;

/**
 * Cuts messages out of a stream's DATA chunks. The common case, whole
 * messages in one chunk, is read in place; only a message that spans chunks is
 * copied, once, when its last byte arrives.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  reset(): void {
    // Nothing buffered is the usual case, and then `chunks` is empty: setting an array's length is not free.
    if (this.buffered === 0) return;
    this.chunks.length = 0;
    this.buffered = 0;
  }

  /** Whether bytes of an unfinished message are waiting (a stream that ends now was cut short). */
  get pending(): boolean {
    return this.buffered > 0;
  }

  push(chunk: Buffer, sink: MessageSink): void {
    let offset = 0;
    if (this.buffered === 0) offset = readWhole(chunk, sink);
    if (offset === chunk.length) return;
    this.chunks.push(offset === 0 ? chunk : chunk.subarray(offset));
    this.buffered += chunk.length - offset;
    this.drain(sink);
  }

  private drain(sink: MessageSink): void {
    while (this.buffered >= PREFIX_BYTES) {
      const head = this.chunks[0] as Buffer;
      const prefix = head.length >= PREFIX_BYTES ? head : Buffer.concat(this.chunks, PREFIX_BYTES);
      const size = PREFIX_BYTES + prefix.readUInt32BE(1);
      if (this.buffered < size) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks, this.buffered);
      sink(prefix[0] === 1, all.subarray(PREFIX_BYTES, size));
      const rest = all.subarray(size);
      this.chunks.length = 0;
      this.buffered = rest.length;
      if (rest.length > 0) this.chunks.push(rest);
    }
  }
}

/** Hands `sink` every whole message at the start of `chunk`; returns where the first partial one begins. */
function readWhole(chunk: Buffer, sink: MessageSink): number {
  let offset = 0;
  while (chunk.length - offset >= PREFIX_BYTES) {
    const end = offset + PREFIX_BYTES + chunk.readUInt32BE(offset + 1);
    if (end > chunk.length) break;
    sink(chunk[offset] === 1, chunk.subarray(offset + PREFIX_BYTES, end));
    offset = end;
  }
  return offset;
}
