// Which calls the server takes on. Beyond MAX_CONCURRENT_CALLS calls at once a
// new call is shed: refused with RESOURCE_EXHAUSTED before its handler runs, so
// an overloaded instance answers fast instead of queueing work it cannot do.
// Health checks are never shed, so a busy instance is not also reported
// unhealthy and killed. Asked once per call (calls.ts), so it stays a few
// comparisons: no allocation.
import * as grpc from '@grpc/grpc-js';

type PartialStatus = Parameters<grpc.ServerInterceptingCall['sendStatus']>[0];

const EXEMPT_PREFIX = '/grpc.health.v1.Health/';

/** How a call was let in: counted against the limit, exempt from it, or refused. */
export type Ticket = 'counted' | 'exempt' | 'shed';

/** The status a call gets when the server already runs `limit` calls. */
export function overloadedStatus(limit: number): PartialStatus {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details:
      `server is at its limit of ${limit} concurrent calls (MAX_CONCURRENT_CALLS); ` +
      'retry with backoff, or add instances',
    metadata: null,
  };
}

export class Admission {
  /** The shed status, built once: under overload it is sent for every refused call. */
  readonly overloaded: PartialStatus;
  /** Calls in flight that count against the limit (all but health checks). */
  private counted = 0;

  /** `maxConcurrentCalls` 0 means no limit. */
  constructor(private readonly maxConcurrentCalls: number) {
    this.overloaded = overloadedStatus(maxConcurrentCalls);
  }

  /** Decides on a new call; every ticket but `shed` must be given back with release() when the call ends. */
  admit(method: string): Ticket {
    if (method.startsWith(EXEMPT_PREFIX)) return 'exempt';
    if (this.maxConcurrentCalls > 0 && this.counted >= this.maxConcurrentCalls) return 'shed';
    this.counted += 1;
    return 'counted';
  }

  release(ticket: Ticket): void {
    if (ticket === 'counted') this.counted -= 1;
  }
}
