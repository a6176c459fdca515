// Which calls the server takes on. Beyond MAX_CONCURRENT_CALLS calls at once a
// new call is shed: refused with RESOURCE_EXHAUSTED before its handler runs, so
// an overloaded instance answers fast instead of queueing work it cannot do.
// Health checks are never shed, so a busy instance is not also reported
// unhealthy and killed; health Watch streams, which never end by themselves,
// have a limit of their own (MAX_HEALTH_WATCHES). Asked once per call (calls.ts), so it stays a few
// comparisons: no allocation.
import * as grpc from '@grpc/grpc-js';

type PartialStatus = Parameters<grpc.ServerInterceptingCall['sendStatus']>[0];

const EXEMPT_PREFIX = '/grpc.health.v1.Health/';
const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';

/**
 * How a call was let in: counted against the limit, exempt from it, a Watch (counted against its own
 * limit), or refused (`shed`, `shed-watch`).
 */
export type Ticket = 'counted' | 'exempt' | 'watch' | 'shed' | 'shed-watch';

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

/** The status a Watch stream gets when `limit` are open. */
export function tooManyWatchesStatus(limit: number): PartialStatus {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details: `server is at its limit of ${limit} health Watch streams (MAX_HEALTH_WATCHES); use Check, or close a Watch`,
    metadata: null,
  };
}

/** Whether a ticket refuses its call. */
export function refused(ticket: Ticket): boolean {
  return ticket === 'shed' || ticket === 'shed-watch';
}

export class Admission {
  /** The shed statuses, built once: under overload they are sent for every refused call. */
  readonly overloaded: PartialStatus;
  readonly tooManyWatches: PartialStatus;
  /** Calls in flight that count against the limit (all but health checks). */
  private counted = 0;
  /** Health Watch streams open. */
  private watches = 0;
  /** Calls refused so far, for the metrics: by MAX_CONCURRENT_CALLS, and Watches by MAX_HEALTH_WATCHES. */
  shedCalls = 0;
  shedWatches = 0;

  /** `maxConcurrentCalls` and `maxHealthWatches` 0 mean no limit. */
  constructor(
    private readonly maxConcurrentCalls: number,
    private readonly maxHealthWatches = 0,
  ) {
    this.overloaded = overloadedStatus(maxConcurrentCalls);
    this.tooManyWatches = tooManyWatchesStatus(maxHealthWatches);
  }

  /** Decides on a new call; every ticket that does not refuse it must be given back with release() when it ends. */
  admit(method: string): Ticket {
    if (method.startsWith(EXEMPT_PREFIX)) {
      if (method !== HEALTH_WATCH) return 'exempt';
      if (this.maxHealthWatches > 0 && this.watches >= this.maxHealthWatches) {
        this.shedWatches += 1;
        return 'shed-watch';
      }
      this.watches += 1;
      return 'watch';
    }
    if (this.maxConcurrentCalls > 0 && this.counted >= this.maxConcurrentCalls) {
      this.shedCalls += 1;
      return 'shed';
    }
    this.counted += 1;
    return 'counted';
  }

  /** The status a refused call gets. */
  refusal(ticket: Ticket): PartialStatus {
    return ticket === 'shed-watch' ? this.tooManyWatches : this.overloaded;
  }

  release(ticket: Ticket): void {
    if (ticket === 'counted') this.counted -= 1;
    else if (ticket === 'watch') this.watches -= 1;
  }
}
