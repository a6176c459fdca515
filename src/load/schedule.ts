// When each call starts. A closed loop starts a call whenever a slot frees up
// (throughput follows the server). An open loop starts calls on a fixed
// timetable, whatever the server does: call i is due at start + i/rate, and
// its latency is measured from that due time, not from when a free slot let it
// go. A stalled server then shows as high latency for every call that should
// have started during the stall (wrk2's cure for coordinated omission).
//
// Step and line schedules (ghz's --load-schedule and --concurrency-schedule)
// ramp the rate, or the calls in flight, in steps: the value starts at
// `start`, changes by `step` every `stepMs` (a line is steps of one second),
// and holds once it reaches `end` or once `maxMs` has passed. A ramped rate
// keeps the timetable exact: call k is due when the ramp's count of calls
// reaches k, whichever worker makes it.
import type { RateShare } from './plan.js';

/** A value that changes in steps over a phase, from its start. */
export interface Ramp {
  readonly start: number;
  /** Change per step; negative ramps down. */
  readonly step: number;
  readonly stepMs: number;
  /** Held once reached. */
  readonly end?: number;
  /** Changes stop after this long; the value reached is held. */
  readonly maxMs?: number;
}

/** The ramp's value `elapsedMs` into its phase. */
export function rampValue(ramp: Ramp, elapsedMs: number): number {
  const steps = Math.floor(Math.min(Math.max(0, elapsedMs), ramp.maxMs ?? Infinity) / ramp.stepMs);
  const value = ramp.start + ramp.step * steps;
  if (ramp.end === undefined) return value;
  return ramp.step > 0 ? Math.min(value, ramp.end) : Math.max(value, ramp.end);
}

/** The value the ramp settles at; ±Infinity when it never stops changing. */
export function rampFinal(ramp: Ramp): number {
  if (ramp.maxMs !== undefined) return rampValue(ramp, ramp.maxMs);
  return ramp.end ?? (ramp.step > 0 ? Infinity : -Infinity);
}

/** Steps after which the ramp holds still (its last change is at this step). */
function settlingStep(ramp: Ramp): number {
  let steps = ramp.maxMs === undefined ? Infinity : Math.floor(ramp.maxMs / ramp.stepMs);
  if (ramp.end !== undefined) steps = Math.min(steps, Math.max(0, Math.ceil((ramp.end - ramp.start) / ramp.step)));
  return steps;
}

/**
 * When call k (counted across every worker) is due, in ms from the phase's start, for a rate ramp; calls
 * must be asked for in increasing order. The ramp's rates must stay above 0 (the command checks).
 */
function rampTimetable(ramp: Ramp): (k: number) => number {
  const last = settlingStep(ramp);
  let step = 0;
  let stepCalls = 0; // calls due before this step
  return (k) => {
    for (;;) {
      const rate = rampValue(ramp, step * ramp.stepMs);
      const callsInStep = step >= last ? Infinity : (rate * ramp.stepMs) / 1000;
      if (k < stepCalls + callsInStep) return step * ramp.stepMs + ((k - stepCalls) * 1000) / rate;
      stepCalls += callsInStep;
      step += 1;
    }
  };
}

/** What ends a phase: a number of calls started, an end time (performance.now() ms), or both. */
export interface PhaseLimit {
  readonly total?: number;
  readonly endsAt?: number;
}

/** A due time (performance.now() ms), or undefined when the phase is over: at once when it is known now, else once it is due. */
export type Due = number | undefined | Promise<number | undefined>;

export interface Schedule {
  /** Calls handed out so far: the number in this thread of the call the next next() hands out. */
  readonly issued: number;
  /** The due time of the next call, once it is due; undefined when the phase is over. No promise when nothing waits. */
  next(): Due;
  /** Ends the phase now: waiting and later next() calls resolve to undefined. */
  stop(): void;
}

export function closedLoop(limit: PhaseLimit): Schedule {
  let started = 0;
  let stopped = false;
  return {
    get issued() {
      return started;
    },
    next() {
      const now = performance.now();
      if (stopped || started >= (limit.total ?? Infinity) || now >= (limit.endsAt ?? Infinity)) return undefined;
      started += 1;
      return now;
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
 * `rate` calls per second in total across every worker (a fixed rate, or a ramp); this worker takes every
 * `share.of`-th due time, starting at the `share.index`-th, so workers interleave.
 */
export function openLoop(rate: number | Ramp, share: RateShare, limit: PhaseLimit, startsAt = performance.now()): Schedule {
  const spacingMs = typeof rate === 'number' ? 1000 / rate : 0;
  const offsetOf = typeof rate === 'number' ? (k: number): number => k * spacingMs : rampTimetable(rate);
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
    get issued() {
      return ticket;
    },
    next() {
      const dueAt = startsAt + offsetOf(ticket * share.of + share.index);
      const endsAt = limit.endsAt ?? Infinity;
      // Past the end, calls still due (the run fell behind) are not made: the report's shortfall shows them.
      if (stopped || ticket >= (limit.total ?? Infinity) || dueAt >= endsAt || performance.now() >= endsAt) return undefined;
      ticket += 1;
      const waitMs = dueAt - performance.now();
      if (waitMs < MIN_WAIT_MS) return dueAt;
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

/** Which concurrency slots may make calls now, under a ramp of the calls in flight. */
export interface SlotGate {
  /** true when slot `slot` (counted across every worker) may start a call now; else resolves true once it may, false if it never will in this phase. */
  admit(slot: number): true | Promise<boolean>;
  /** The phase is over: slots still waiting are released with false. */
  close(): void;
}

/** Slot g may make calls while g < the ramp's value; a slot waits for the step that admits it. */
export function concurrencyGate(ramp: Ramp, startsAt = performance.now()): SlotGate {
  const last = settlingStep(ramp);
  const waiting = new Set<{ timer: NodeJS.Timeout; resolve: (admitted: boolean) => void }>();
  let closed = false;
  const admit = (slot: number): true | Promise<boolean> => {
    const elapsed = performance.now() - startsAt;
    if (slot < rampValue(ramp, elapsed)) return true;
    if (closed) return Promise.resolve(false);
    // The first step at which the ramp admits this slot, if any.
    let step = Math.floor(elapsed / ramp.stepMs) + 1;
    while (step <= last && !(slot < rampValue(ramp, step * ramp.stepMs))) step += 1;
    if (step > last || !Number.isFinite(step) || step * ramp.stepMs > 2 ** 31) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wait = {
        resolve,
        timer: setTimeout(() => {
          waiting.delete(wait);
          const again = admit(slot);
          if (again === true) resolve(true);
          else void again.then(resolve);
        }, startsAt + step * ramp.stepMs - performance.now()),
      };
      waiting.add(wait);
    });
  };
  return {
    admit,
    close() {
      closed = true;
      for (const wait of waiting) {
        clearTimeout(wait.timer);
        wait.resolve(false);
      }
      waiting.clear();
    },
  };
}
