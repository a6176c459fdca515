// One concurrency slot's calls on the wire-level driver. A WireCall is made
// once per slot and reused for every call the slot makes: its event handlers
// are bound once, its outcome object is refilled, and its deadline timer is
// not moved per call (each move is an insert into Node's timer list): armed
// once, it looks at the call in progress when it fires and, if that call is
// younger than the deadline, sets itself for the time that call has left. Per
// call, what is new is what HTTP/2 needs: the stream (and the promise the
// runner awaits).
import {
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type ClientSessionRequestOptions,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type StreamPriorityOptions,
} from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import type { Shape } from '../plan.js';
import type { Caller } from '../driver.js';
import type { RequestSource } from '../call/requests.js';
import type { CallOutcome } from '../tally.js';
import { MessageReader } from './framing.js';
import { decodeGrpcMessage, statusFromHttp, statusFromReset } from './status.js';

/** What one call sends: prepared once per thread, unless templates make each call's own. */
export interface WireRequest {
  readonly headers: OutgoingHttpHeaders;
  /** The first request, framed (and gzipped with --gzip): unary and server calls send only this. */
  readonly frame: Buffer;
  /** Every distinct request of a stream, framed, sent in turn (starting over after the last). */
  readonly frames: readonly Buffer[];
  /** client streams without --interval-ms: `batchCount` requests framed back to back, written at once. */
  readonly batch: Buffer;
  readonly batchCount: number;
  /** client and bidi: messages sent per stream. */
  readonly messages: number;
}

/** What every call of a plan sends and expects, built once per thread. */
export interface WirePlan {
  readonly shape: Shape;
  /** Call number n's request (the same object for every call when nothing is templated). */
  readonly requests: RequestSource<WireRequest>;
  /** bidi: send each message once the reply to the one before is in (the Greeter's BidiHello); else send them all, as a client stream, reading replies as they come. */
  readonly pingPong: boolean;
  readonly intervalMs: number;
  readonly deadlineMs: number;
  /** --max-recv-message-size: a larger reply fails the call with RESOURCE_EXHAUSTED, as grpc-js does (Infinity: any). */
  readonly maxReceiveBytes: number;
  /** Parses a reply: a message that does not parse fails the call as grpc-js would (INTERNAL). */
  readonly decode: (bytes: Buffer) => unknown;
}

/** The connection a call runs on; `session()` reconnects when the last one closed (GOAWAY, max connection age). */
export interface SessionSource {
  session(): ClientHttp2Session | Promise<ClientHttp2Session>;
}

interface MutableOutcome {
  code: status;
  details: string;
  sent: number;
  received: number;
}

/**
 * session.request()'s options. Node 20's http2 copies them and then adds each priority option the copy lacks
 * (weight, parent, exclusive, silent); on Node 20's V8 every such addition takes a slow path, about 12 µs of a
 * client's CPU per call (profiled, and a bare node:http2 loop A/B). Given with the values http2 would add,
 * nothing is added. Node 22 adds them cheaply and deprecates `weight` (DEP0194), so it gets only endStream.
 */
export const OPEN_STREAM: ClientSessionRequestOptions & StreamPriorityOptions =
  Number(process.versions.node.split('.')[0]) < 22 ? { endStream: false, weight: 16, parent: 0, exclusive: false, silent: false } : { endStream: false };
const CANCELLED_MESSAGE = 'cancelled by the load generator';
// grpc-js's texts (client.ts, makeUnaryRequest and makeClientStreamRequest), so both drivers report one group.
const NO_REPLY = 'No message received';
const TOO_MANY_REPLIES = 'Too many responses received';

/** Unary and client-streaming calls have exactly one reply; server streams may have none. */
const singleReply = (shape: Shape): boolean => shape === 'unary' || shape === 'client';

export class WireCall implements Caller {
  private stream: ClientHttp2Stream | undefined;
  private request: WireRequest | undefined;
  /** The call in progress's number in the run: its request is the plan's for that number. */
  private number = 0;
  private resolve: ((outcome: CallOutcome) => void) | undefined;
  private readonly outcome: MutableOutcome = { code: status.OK, details: '', sent: 0, received: 0 };
  private readonly reader = new MessageReader();
  /** Set while it may still have a call to end; see onDeadline. */
  private deadline: NodeJS.Timeout | undefined;
  /** When the call in progress started (performance.now()): its deadline runs from here. */
  private startedAt = 0;
  /** Counts calls, so that a timer set for an earlier call does nothing to this one. */
  private generation = 0;
  private statusSeen = false;
  private httpStatus = 0;
  private replyGzip = false;
  private timedOut = false;
  private cancelled = false;
  private waitingForDrain = false;
  private paused = false;
  /** Why the stream failed, when it did (a socket error, a reset). */
  private failure: string | undefined;
  /** The client's own verdict on the replies (one that does not parse, or too many): it ends the call with this code. */
  private refusal: status | undefined;

  constructor(
    private readonly plan: WirePlan,
    private readonly connection: SessionSource,
  ) {}

  call(n: number): Promise<CallOutcome> {
    this.number = n;
    return new Promise(this.start);
  }

  cancel(): void {
    if (this.resolve === undefined) return;
    if (this.stream === undefined) return this.end(status.CANCELLED, CANCELLED_MESSAGE);
    this.cancelled = true;
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  /** The promise's executor, made once: the deadline runs from here, a wait for a connection included (as grpc-js counts it). */
  private readonly start = (resolve: (outcome: CallOutcome) => void): void => {
    this.resolve = resolve;
    this.generation += 1;
    try {
      this.request = this.plan.requests.forCall(this.number);
    } catch (error) {
      // Templated data that renders into something the message cannot hold: nothing is sent.
      this.outcome.sent = 0;
      this.outcome.received = 0;
      return this.end(status.INTERNAL, (error as Error).message);
    }
    this.startedAt = performance.now();
    this.deadline ??= setTimeout(this.onDeadline, this.plan.deadlineMs).unref();
    this.begin();
  };

  private begin(): void {
    const session = this.connection.session();
    if (session instanceof Promise) return this.awaitSession(session);
    this.outcome.code = status.OK;
    this.outcome.details = '';
    this.outcome.sent = 0;
    this.outcome.received = 0;
    this.statusSeen = false;
    this.httpStatus = 0;
    this.replyGzip = false;
    this.timedOut = false;
    this.cancelled = false;
    this.waitingForDrain = false;
    this.paused = false;
    this.failure = undefined;
    this.refusal = undefined;
    this.reader.reset();
    let stream: ClientHttp2Stream;
    try {
      stream = session.request((this.request as WireRequest).headers, OPEN_STREAM);
    } catch (error) {
      return this.end(status.UNAVAILABLE, (error as Error).message);
    }
    this.stream = stream;
    stream.on('response', this.onResponse);
    stream.on('data', this.onData);
    stream.on('trailers', this.onTrailers);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    switch (this.plan.shape) {
      case 'unary':
      case 'server':
        this.outcome.sent = 1;
        stream.end((this.request as WireRequest).frame);
        return;
      case 'client':
        return this.pump();
      case 'bidi':
        return this.plan.pingPong ? this.sendNext() : this.pump();
    }
  }

  /** A reconnect under way: the call starts on the new session, unless it ended (cancel, deadline) while it waited. */
  private awaitSession(session: Promise<ClientHttp2Session>): void {
    const generation = this.generation;
    session.then(
      () => {
        if (generation === this.generation && this.resolve !== undefined) this.begin();
      },
      (error: Error) => {
        if (generation === this.generation && this.resolve !== undefined) this.end(status.UNAVAILABLE, error.message);
      },
    );
  }

  private end(code: status, details: string): void {
    this.stream = undefined;
    this.outcome.code = code;
    this.outcome.details = details;
    const resolve = this.resolve as (outcome: CallOutcome) => void;
    this.resolve = undefined;
    resolve(this.outcome);
  }

  /** client streams (and bidi streams that are not ping-pong): write the requests, a batch at a time (or one per --interval-ms), under flow control; then half-close. */
  private pump(): void {
    const stream = this.stream;
    if (stream === undefined || this.statusSeen) return;
    const { plan, outcome } = this;
    const request = this.request as WireRequest;
    while (outcome.sent < request.messages) {
      let chunk: Buffer;
      if (plan.intervalMs > 0) {
        if (outcome.sent > 0 && !this.paused) {
          this.paused = true;
          setTimeout(this.resume, plan.intervalMs, this.generation).unref();
          return;
        }
        this.paused = false;
        chunk = request.frames[outcome.sent % request.frames.length] as Buffer;
        outcome.sent += 1;
      } else {
        // A batch holds whole streams' worth of distinct requests, or copies of the one request.
        const count = Math.min(request.batchCount, request.messages - outcome.sent);
        chunk = count === request.batchCount ? request.batch : request.batch.subarray(0, count * request.frame.length);
        outcome.sent += count;
      }
      if (!stream.write(chunk)) {
        this.waitingForDrain = true;
        stream.once('drain', this.onDrain);
        return;
      }
    }
    stream.end();
  }

  /** bidi: the next request once the reply to the last one is in; half-close after the last. */
  private sendNext(): void {
    const stream = this.stream;
    if (stream === undefined || this.statusSeen) return;
    const request = this.request as WireRequest;
    if (this.outcome.sent === request.messages) return void stream.end();
    stream.write(request.frames[this.outcome.sent % request.frames.length] as Buffer);
    this.outcome.sent += 1;
  }

  private readonly resume = (generation: number): void => {
    if (generation !== this.generation) return;
    if (this.plan.shape === 'client' || !this.plan.pingPong) this.pump();
    else this.sendNext();
  };

  private readonly onDrain = (): void => {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    this.pump();
  };

  private readonly onDeadline = (): void => {
    this.deadline = undefined;
    // Idle: the next call sets the timer again.
    if (this.resolve === undefined) return;
    const leftMs = this.startedAt + this.plan.deadlineMs - performance.now();
    if (leftMs > 0) {
      this.deadline = setTimeout(this.onDeadline, leftMs).unref();
      return;
    }
    if (this.stream === undefined) return this.end(status.DEADLINE_EXCEEDED, this.deadlineMessage());
    this.timedOut = true;
    this.stream.close(constants.NGHTTP2_CANCEL);
  };

  private deadlineMessage(): string {
    return `deadline of ${this.plan.deadlineMs} ms exceeded (client side)`;
  }

  private readonly onResponse = (headers: IncomingHttpHeaders): void => {
    this.httpStatus = Number(headers[':status']);
    this.replyGzip = headers['grpc-encoding'] === 'gzip';
    // Trailers-only: the status comes in the only headers the server sends.
    if (headers['grpc-status'] !== undefined) this.readStatus(headers);
  };

  private readonly onMessage = (compressed: boolean, bytes: Buffer): void => {
    if (this.refusal !== undefined) return;
    if (bytes.length > this.plan.maxReceiveBytes) {
      return this.refuse(status.RESOURCE_EXHAUSTED, `received message larger than max (${bytes.length} vs. ${this.plan.maxReceiveBytes})`);
    }
    try {
      if (compressed && !this.replyGzip) throw new Error('a compressed reply without grpc-encoding: gzip');
      this.plan.decode(compressed ? gunzipSync(bytes) : bytes);
    } catch (error) {
      return this.refuse(status.INTERNAL, `cannot read a reply: ${(error as Error).message}`);
    }
    if (this.outcome.received === 1 && singleReply(this.plan.shape)) return this.refuse(status.UNIMPLEMENTED, TOO_MANY_REPLIES);
    this.outcome.received += 1;
    if (this.plan.shape !== 'bidi' || !this.plan.pingPong) return;
    if (this.plan.intervalMs > 0 && this.outcome.sent < (this.request as WireRequest).messages) {
      setTimeout(this.resume, this.plan.intervalMs, this.generation).unref();
    } else {
      this.sendNext();
    }
  };

  /** Ends the call with `code` once its stream has closed, as grpc-js cancels a call whose replies it cannot take. */
  private refuse(code: status, details: string): void {
    this.refusal = code;
    this.failure = details;
    this.stream?.close(constants.NGHTTP2_CANCEL);
  }

  private readonly onData = (chunk: Buffer): void => this.reader.push(chunk, this.onMessage);

  private readonly onTrailers = (trailers: IncomingHttpHeaders): void => this.readStatus(trailers);

  private readStatus(headers: IncomingHttpHeaders): void {
    if (this.statusSeen) return;
    this.statusSeen = true;
    const code = Number(headers['grpc-status']);
    this.outcome.code = Number.isInteger(code) && code >= 0 && code <= 16 ? code : status.UNKNOWN;
    this.outcome.details = decodeGrpcMessage(headers['grpc-message'] as string | undefined);
    // The server has ended the call; a stream still sending (a client or bidi stream it answered early) stops here.
    const stream = this.stream;
    if (stream !== undefined && !stream.writableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
  }

  private readonly onError = (error: Error): void => {
    this.failure ??= error.message;
  };

  /** Every stream ends here, once: the status it carried, or the best account of why it carried none. */
  private readonly onClose = (): void => {
    const stream = this.stream as ClientHttp2Stream;
    const { outcome } = this;
    if (this.refusal !== undefined) return this.end(this.refusal, this.failure as string);
    if (this.statusSeen && !(this.httpStatus !== 200 && this.httpStatus !== 0)) {
      // grpc-js fails a unary or client-streaming call that ends OK without its one reply.
      if (outcome.code === status.OK && outcome.received === 0 && singleReply(this.plan.shape)) return this.end(status.UNIMPLEMENTED, NO_REPLY);
      return this.end(outcome.code, outcome.details);
    }
    if (this.timedOut) return this.end(status.DEADLINE_EXCEEDED, this.deadlineMessage());
    if (this.cancelled) return this.end(status.CANCELLED, CANCELLED_MESSAGE);
    if (this.httpStatus !== 200 && this.httpStatus !== 0) {
      return this.end(statusFromHttp(this.httpStatus), `HTTP status ${this.httpStatus} (not a gRPC reply)`);
    }
    if (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
      return this.end(statusFromReset(stream.rstCode), `stream reset with HTTP/2 code ${stream.rstCode}`);
    }
    if (this.failure !== undefined) return this.end(status.UNAVAILABLE, this.failure);
    this.end(status.UNKNOWN, 'the stream ended without a gRPC status');
  };
}
