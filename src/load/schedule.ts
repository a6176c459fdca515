// When each call starts. A closed loop starts a call whenever a slot frees up
// (throughput follows the server). An open loop starts calls on a fixed
// timetable, whatever the server does: call i is due at start + i/rate, and
// its latency is measured from that due time, not from when a free slot let it
// go. A stalled server then shows as high latency for every call that should
// have started during the stall (wrk2's cure for coordinated omission).
import type { RateShare } from './plan.js';

/** What ends a phase: a number of calls started, an end time (performance.now() ms), or both. */
export interface PhaseLimit {
  readonly total?: number;
  readonly endsAt?: number;
}

export interface Schedule {
  /** The due time (performance.now() ms) of the next call, once it is due; undefined when the phase is over. */
  next(): Promise<number | undefined>;
  /** Ends the phase now: waiting and later next() calls resolve to undefined. */
  stop(): void;
}

export function closedLoop(limit: PhaseLimit): Schedule {
  let started = 0;
  let stopped = false;
  return {
    next() {
      const now = performance.now();
      if (stopped || started >= (limit.total ?? Infinity) || now >= (limit.endsAt ?? Infinity)) {
        return Promise.resolve(undefined);
      }
      started += 1;
      return Promise.resolve(now);
    },
    stop() {
      stopped = true;
    },
  };
}

/** A call waiting for its due time: where it sits in the schedule's list, and how to end the wait. */
interface Wait {
  index: number;
  readonly resolve: (dueAt: number | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Below this, waiting costs more than it saves: start now, and the lateness is still measured. */
const MIN_WAIT_MS = 1;

/**
 * `rps` calls per second in total across every worker; this worker takes every
 * `share.of`-th due time, starting at the `share.index`-th, so workers interleave.
 */
export function openLoop(rps: number, share: RateShare, limit: PhaseLimit, startsAt = performance.now()): Schedule {
  const spacingMs = 1000 / rps;
  let ticket = 0;
  let stopped = false;
  // An array, not a Map keyed by timer: a Map that every call adds to and deletes from rehashes into V8's
  // old space and keeps what it held alive there (src/load/shapes.ts, Slot). A wait knows its index.
  const waiting: Wait[] = [];
  const remove = (wait: Wait): void => {
    const last = waiting.pop() as Wait;
    if (last === wait) return;
    waiting[wait.index] = last;
    last.index = wait.index;
  };
  return {
    next() {
      const dueAt = startsAt + (ticket * share.of + share.index) * spacingMs;
      const endsAt = limit.endsAt ?? Infinity;
      // Past the end, calls still due (the run fell behind) are not made: the report's shortfall shows them.
      if (stopped || ticket >= (limit.total ?? Infinity) || dueAt >= endsAt || performance.now() >= endsAt) {
        return Promise.resolve(undefined);
      }
      ticket += 1;
      const waitMs = dueAt - performance.now();
      if (waitMs < MIN_WAIT_MS) return Promise.resolve(dueAt);
      return new Promise((resolve) => {
        const wait: Wait = { index: waiting.length, resolve, timer: undefined };
        waiting.push(wait);
        wait.timer = setTimeout(() => {
          remove(wait);
          resolve(dueAt);
        }, waitMs);
      });
    },
    stop() {
      stopped = true;
      for (const wait of waiting) {
        clearTimeout(wait.timer);
        wait.resolve(undefined);
      }
      waiting.length = 0;
    },
  };
}
