// The responses of StreamingOutputCall, FullDuplexCall and HalfDuplexCall: one
// per ResponseParameters, in order, each after its interval_us (counted from
// the response before it). Writing waits while the client is not reading (flow
// control), and everything stops the moment the call is cancelled.
import type * as grpc from '@grpc/grpc-js';
import type { ResponseParameters__Output } from '../../generated/grpc/testing/ResponseParameters.js';
import type { StreamingOutputCallResponse } from '../../generated/grpc/testing/StreamingOutputCallResponse.js';
import { zeroPayload } from './payload.js';

/** What the writer needs of a server-streaming or duplex call. */
interface OutputCall {
  write(response: StreamingOutputCallResponse): boolean;
  end(trailers: grpc.Metadata): void;
  emit(event: 'error', status: grpc.StatusObject): boolean;
  once(event: 'cancelled' | 'drain', listener: () => void): unknown;
  off(event: 'cancelled' | 'drain', listener: () => void): unknown;
}

/** The request side of a duplex call, paused while the client is not reading our responses. */
interface Reader {
  pause(): void;
  resume(): void;
}

export class ResponseStream {
  private readonly pending: ResponseParameters__Output[] = [];
  /** Index in `pending` of the next response to send (an index, not shift(), keeps long queues linear). */
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The interval of the next response has been waited. */
  private waited = false;
  private blocked = false;
  private trailers: grpc.Metadata | undefined;
  private finished = false;

  constructor(
    private readonly call: OutputCall,
    private readonly reader?: Reader,
  ) {
    call.once('cancelled', this.stop);
  }

  /** Queues one response per entry of `parameters`. */
  send(parameters: readonly ResponseParameters__Output[]): void {
    this.pending.push(...parameters);
    if (this.timer === undefined && !this.blocked) this.pump();
  }

  /** Ends the call with OK and `trailers` once every queued response has been sent. */
  end(trailers: grpc.Metadata): void {
    this.trailers = trailers;
    if (this.timer === undefined && !this.blocked) this.pump();
  }

  /** Ends the call now with `status`; queued responses are dropped. */
  fail(status: grpc.StatusObject): void {
    this.stop();
    this.call.emit('error', status);
  }

  private readonly pump = (): void => {
    this.timer = undefined;
    if (this.blocked) {
      this.blocked = false;
      this.reader?.resume();
    }
    while (!this.finished) {
      const next = this.pending[this.cursor];
      if (next === undefined) {
        this.pending.length = this.cursor = 0;
        if (this.trailers !== undefined) {
          this.stop();
          this.call.end(this.trailers);
        }
        return;
      }
      if (next.interval_us > 0 && !this.waited) {
        this.waited = true;
        this.timer = setTimeout(this.pump, next.interval_us / 1000);
        return;
      }
      this.cursor += 1;
      this.waited = false;
      if (!this.call.write({ payload: zeroPayload(next.size) })) {
        this.blocked = true;
        this.reader?.pause();
        this.call.once('drain', this.pump);
        return;
      }
    }
  };

  private readonly stop = (): void => {
    this.finished = true;
    this.pending.length = this.cursor = 0;
    clearTimeout(this.timer);
    this.call.off('drain', this.pump);
    this.call.off('cancelled', this.stop);
  };
}
