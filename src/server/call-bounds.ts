// Two bounds on what calls in flight may hold, checked by one sweep over them
// every SWEEP_INTERVAL_MS rather than by a timer per call (the unary hot path
// stays free of them):
//
// - time: a unary or server-streaming call whose request has not wholly
//   arrived REQUEST_TIMEOUT_MS after it began ends with DEADLINE_EXCEEDED, so
//   HEADERS without DATA cannot hold a call slot for ever;
// - memory: the bytes all calls hold (partial request messages, replies their
//   clients have not taken) stay within a budget derived from the memory limit;
//   past it the calls holding the most are ended with RESOURCE_EXHAUSTED, the
//   largest first, until the total is back under three quarters of the budget.
//   Replies are checked as they are written too (noteWrite): a burst of
//   handlers can write hundreds of MiB between two sweeps. A call is ended
//   once: one the sweep has ended still counts what it holds until its stream
//   lets go, but is not ended (nor counted in the WARNING) again;
// - per connection: what a connection's calls hold, where its peer does not
//   read, is let go only with the connection (connection-bounds.ts).
import { constants } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { Http2Session } from 'node:http2';
import type { Logger } from '../logger.js';
import { ConnectionBounds, type ConnectionCall } from './connection-bounds.js';

export const SWEEP_INTERVAL_MS = 100;
/** The share of the memory limit that calls may hold: the rest is the process itself, its connections and GC slack. */
export const BUDGET_SHARE = 1 / 8;
/** Calls holding less than this are never the ones ended for memory (and cost the sweep nothing to skip). */
const HEAVY_BYTES = 64 * 1024;
const MiB = 1024 * 1024;

/** What the sweep needs of a call in flight. */
export interface BoundedCall extends ConnectionCall {
  readonly method: string;
  /** A status has been sent, or the call is over: the sweep has nothing more to end. */
  readonly ended: boolean;
  /** The HTTP/2 connection the call's stream is on. */
  connection(): Http2Session | undefined;
  /** performance.now() when the call began. */
  readonly started: number;
  /** A unary or server-streaming call whose request (message and end of stream) has not wholly arrived. */
  readonly awaitingRequest: boolean;
  /** Bytes the call holds in memory now. */
  heldBytes(): number;
  /** Ends the call with `status` and tells its handler. */
  abort(status: { code: grpc.status; details: string }): void;
  /** Ends the call with `status` and resets its stream with HTTP/2 error `rstCode`, freeing what the stream holds. */
  abortAndReset(status: { code: grpc.status; details: string }, rstCode: number): void;
}

export interface CallBoundsOptions {
  readonly requestTimeoutMs: number;
  /** Bytes calls may hold in total; 0 for no budget. */
  readonly budgetBytes: number;
  readonly logger: Logger;
}

export function requestTimeoutStatus(timeoutMs: number): { code: grpc.status; details: string } {
  return {
    code: grpc.status.DEADLINE_EXCEEDED,
    details: `the request did not arrive within ${timeoutMs} ms of the call's start (REQUEST_TIMEOUT_MS); send the whole request message and end the stream`,
  };
}

export function memoryBudgetStatus(budgetBytes: number, heldBytes: number): { code: grpc.status; details: string } {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details:
      `server memory budget for calls in progress (${Math.round(budgetBytes / MiB)} MiB, from MEMORY_LIMIT_MIB) is spent; ` +
      `this call held ${Math.round(heldBytes / 1024)} KiB of unfinished request or unread replies; read replies promptly, or retry later`,
  };
}

export class CallBounds {
  private timer: NodeJS.Timeout | undefined;
  /** What calls held at the last sweep, plus every heavy write since: never less than what they hold. */
  private estimate = 0;
  /**
   * The calls held more than the budget at the last sweep: a call on a connection over its share then writes no
   * more (admitWrite), since each reply a handler writes for a peer that does not read stays in memory.
   */
  spent = false;
  /** noteWrite sweeps once the estimate passes this. */
  private sweepAbove = 0;
  private readonly timeoutStatus: { code: grpc.status; details: string };
  private readonly connections: ConnectionBounds | undefined;
  /** Calls ended so far, for the metrics: by REQUEST_TIMEOUT_MS, and by the memory budget. */
  endedByTimeout = 0;
  endedByMemory = 0;

  constructor(
    private readonly callsInFlight: () => readonly BoundedCall[],
    private readonly options: CallBoundsOptions,
  ) {
    this.timeoutStatus = requestTimeoutStatus(options.requestTimeoutMs);
    this.sweepAbove = options.budgetBytes;
    if (options.budgetBytes > 0) this.connections = new ConnectionBounds(options.budgetBytes, options.logger);
  }

  start(): void {
    if (this.options.requestTimeoutMs === 0 && this.options.budgetBytes === 0) return;
    // Unref'd: the sweep never keeps a draining process alive.
    this.timer ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the calls in flight; `now` is performance.now(). */
  sweep(now = performance.now()): void {
    const { requestTimeoutMs, budgetBytes } = this.options;
    let total = 0;
    let heavy: { call: BoundedCall; bytes: number }[] | undefined;
    const connections = this.connections;
    for (const call of this.callsInFlight()) {
      if (requestTimeoutMs > 0 && !call.ended && call.awaitingRequest && now - call.started >= requestTimeoutMs) {
        call.abortAndReset(this.timeoutStatus, constants.NGHTTP2_NO_ERROR);
        this.endedByTimeout += 1;
        continue;
      }
      if (connections === undefined) continue;
      const bytes = call.heldBytes();
      if (bytes === 0) continue;
      total += bytes;
      const connection = call.connection();
      if (connection !== undefined) connections.note(connection, call, bytes);
      if (bytes >= HEAVY_BYTES) (heavy ??= []).push({ call, bytes });
    }
    if (connections !== undefined) total -= connections.settle(total, now);
    // The calls on a connection just closed have ended: shedding skips them.
    this.estimate = total > budgetBytes && heavy !== undefined ? this.shed(total, heavy) : total;
    this.sweepAbove = Math.max(budgetBytes, this.estimate + budgetBytes / 8);
    this.spent = this.estimate > budgetBytes;
  }

  /**
   * A call has just written a reply and now holds `bytes`: past the budget, sweep at once. While what is held
   * stays over it (replies queued for a peer that does not read, until its connection goes), the next sweep
   * waits for another eighth of the budget to be written: a sweep per write would be one per reply.
   */
  noteWrite(bytes: number): void {
    if (bytes < HEAVY_BYTES || this.options.budgetBytes === 0) return;
    this.estimate += bytes;
    if (this.estimate > this.sweepAbove) this.sweep();
  }

  /**
   * While the budget is spent (ask only then): whether `call` may write a reply. A call on a connection over its
   * share is ended instead, as the sweep ends the calls holding the most.
   */
  admitWrite(call: BoundedCall): boolean {
    const connection = call.connection();
    if (this.connections === undefined || connection === undefined || !this.connections.isOverShare(connection)) return true;
    call.abortAndReset(memoryBudgetStatus(this.options.budgetBytes, call.heldBytes()), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    return false;
  }

  /** Ends the heaviest calls until what the rest hold is under three quarters of the budget; returns what they hold. */
  private shed(total: number, heavy: { call: BoundedCall; bytes: number }[]): number {
    const { budgetBytes, logger } = this.options;
    heavy.sort((a, b) => b.bytes - a.bytes);
    const before = total;
    let ended = 0;
    const methods = new Set<string>();
    for (const { call, bytes } of heavy) {
      if (total <= (budgetBytes * 3) / 4) break;
      // Ended by an earlier sweep, its bytes wait for its stream to let go (or for its connection's end).
      if (call.ended) continue;
      call.abortAndReset(memoryBudgetStatus(budgetBytes, bytes), constants.NGHTTP2_ENHANCE_YOUR_CALM);
      total -= bytes;
      ended += 1;
      this.endedByMemory += 1;
      methods.add(call.method);
    }
    if (ended === 0) return total;
    logger.warn(
      { budget_bytes: budgetBytes, held_bytes: before, ended, methods: [...methods] },
      `calls in progress held ${Math.round(before / MiB)} MiB, over the memory budget of ${Math.round(budgetBytes / MiB)} MiB: ` +
        `ended the ${ended} holding the most with RESOURCE_EXHAUSTED`,
    );
    return total;
  }
}
