// The calls in flight: what a drain waits for, then ends with UNAVAILABLE once
// its grace is over, what call-bounds.ts sweeps for calls that hold too much,
// and what operators and tests can list.
import type { BoundedCall } from './call-bounds.js';

/** A call in flight, as the drain, the bounds and the tests see it. */
export interface InFlightCall extends BoundedCall {
  readonly messagesIn: number;
  readonly messagesOut: number;
}

/** A call as the list holds it: the call carries its own links. */
export interface ListedCall extends InFlightCall {
  older: ListedCall | undefined;
  newer: ListedCall | undefined;
}

/**
 * The calls in flight, oldest first, as a doubly linked list threaded through the calls: adding and
 * removing allocate nothing. A Set did, where it hurt: once a long-lived Set sits in V8's old space, each
 * rehash (one every few calls, as calls come and go) allocates its new table there too, and the table it
 * replaced still points at the calls it held until the next full GC. Every call, with its HTTP/2 stream,
 * then outlived young-generation GCs and was promoted: with `--trace-gc-nvp` at 1,500 calls/s, ~700 KB
 * promoted per scavenge instead of ~25 KB, and scavenges 3× as long (docs/performance.md). Anything that
 * tracks every call for as long as it runs should do the same; the load harness does.
 */
export class InFlightCalls {
  size = 0;
  private oldest: ListedCall | undefined;
  private newest: ListedCall | undefined;
  private idleWaiters: (() => void)[] = [];

  add(call: ListedCall): void {
    call.older = this.newest;
    if (this.newest === undefined) this.oldest = call;
    else this.newest.newer = call;
    this.newest = call;
    this.size += 1;
  }

  delete(call: ListedCall): void {
    if (call.older === undefined) this.oldest = call.newer;
    else call.older.newer = call.newer;
    if (call.newer === undefined) this.newest = call.older;
    else call.newer.older = call.older;
    call.older = call.newer = undefined;
    this.size -= 1;
    if (this.size === 0 && this.idleWaiters.length > 0) this.wakeIdleWaiters();
  }

  /** A copy, oldest first: ending a call removes it from the list. */
  list(): InFlightCall[] {
    const calls: InFlightCall[] = [];
    for (let call = this.oldest; call !== undefined; call = call.newer) calls.push(call);
    return calls;
  }

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
