// --csv-calls: every measured call (up to a cap), as ghz lists them: when it
// started, how long it took, its status and error message. Opt-in, since it
// costs memory per call: typed arrays that grow by doubling, an error's text
// kept only for failed calls.
import * as grpc from '@grpc/grpc-js';

/** Calls listed per process at most; each thread keeps its share. Stated in `load --help`. */
export const MAX_LOGGED_CALLS = 1_000_000;

export interface CallLogSnapshot {
  /** Unix time the call started, ms. */
  readonly startMs: Float64Array;
  readonly latencyMs: Float64Array;
  readonly code: Uint16Array;
  /** The error's text by call, for failed calls. */
  readonly details: ReadonlyMap<number, string>;
  /** Calls past the cap, measured but not listed. */
  readonly unlisted: number;
}

export class CallLog {
  private length = 0;
  private unlisted = 0;
  private startMs = new Float64Array(1024);
  private latencyMs = new Float64Array(1024);
  private code = new Uint16Array(1024);
  private readonly details = new Map<number, string>();

  constructor(private readonly limit: number) {}

  /** `startedAt` is a performance.now() time of this thread. */
  record(code: grpc.status, details: string, latencyMs: number, startedAt: number): void {
    if (this.length >= this.limit) {
      this.unlisted += 1;
      return;
    }
    if (this.length === this.startMs.length) this.grow();
    const i = this.length++;
    this.startMs[i] = performance.timeOrigin + startedAt;
    this.latencyMs[i] = latencyMs;
    this.code[i] = code;
    if (code !== grpc.status.OK) this.details.set(i, details);
  }

  snapshot(): CallLogSnapshot {
    return {
      startMs: this.startMs.slice(0, this.length),
      latencyMs: this.latencyMs.slice(0, this.length),
      code: this.code.slice(0, this.length),
      details: new Map(this.details),
      unlisted: this.unlisted,
    };
  }

  private grow(): void {
    const size = Math.min(this.limit, this.startMs.length * 2);
    const grown = <T extends Float64Array | Uint16Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.startMs = grown(this.startMs, new Float64Array(size));
    this.latencyMs = grown(this.latencyMs, new Float64Array(size));
    this.code = grown(this.code, new Uint16Array(size));
  }
}

/** Several threads' logs as one, in the order the calls started. */
export function mergeCallLogs(logs: readonly CallLogSnapshot[]): CallLogSnapshot {
  const rows = logs.flatMap((log) => Array.from(log.startMs, (startMs, i) => ({ log, i, startMs })));
  rows.sort((a, b) => a.startMs - b.startMs);
  const details = new Map<number, string>();
  rows.forEach(({ log, i }, j) => {
    const text = log.details.get(i);
    if (text !== undefined) details.set(j, text);
  });
  return {
    startMs: Float64Array.from(rows, (r) => r.startMs),
    latencyMs: Float64Array.from(rows, (r) => r.log.latencyMs[r.i] as number),
    code: Uint16Array.from(rows, (r) => r.log.code[r.i] as number),
    details,
    unlisted: logs.reduce((n, log) => n + log.unlisted, 0),
  };
}
