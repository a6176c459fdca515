// Runs a plan in this thread: its driver's connections, `concurrency` call
// slots spread over them round-robin, each slot taking the schedule's next due
// time, making one call, and recording it. A warm-up phase (if asked) runs the
// same way first and is only counted.
import { openConnections, type Caller, type LoadConnections } from './driver.js';
import { isTotal, type LoadPlan, type RateShare } from './plan.js';
import { closedLoop, concurrencyGate, openLoop, type PhaseLimit, type Schedule, type SlotGate } from './schedule.js';
import { Tally, type CallOutcome, type TallySnapshot } from './tally.js';
import { measureUsage, type RunUsage } from './usage.js';

export { ConnectError } from './driver.js';

export interface Progress {
  readonly phase: 'warmup' | 'measure';
  readonly calls: number;
  readonly errors: number;
}

export interface RunResult {
  readonly tally: TallySnapshot;
  readonly warmupCalls: number;
  /** Measured phase, from its start to the end of its last call. */
  readonly elapsedMs: number;
  /** Measured phase, from its start to the start of its last call (the achieved start rate's span). */
  readonly startSpanMs: number;
  /** Open loop: how late the latest call started against its due time. */
  readonly maxStartLagMs: number;
  readonly interrupted: boolean;
  /** What the run cost the generator. */
  readonly usage: RunUsage;
}

export interface LoadRun {
  progress(): Progress;
  /** Stops now: no new calls, calls in flight cancelled and left out; `finished` then resolves to the partial result. */
  stop(): void;
  readonly finished: Promise<RunResult>;
}

export interface PreparedLoad {
  /** Starts the run; call once. */
  start(): LoadRun;
  /** Closes the channels. */
  close(): void;
}

/** Opens the plan's connections and waits until each is ready, so that connecting is not measured as call latency. */
export async function openLoad(plan: LoadPlan, share: RateShare = { index: 0, of: 1 }): Promise<PreparedLoad> {
  const connections = await openConnections(plan, share);
  return { start: () => startRun(plan, connections, share), close: () => connections.close() };
}

type Recorder = (outcome: CallOutcome, dueAt: number, startedAt: number, endedAt: number) => void;

function startRun(plan: LoadPlan, connections: LoadConnections, share: RateShare): LoadRun {
  const callers: Caller[] = Array.from({ length: plan.concurrency }, (_, slot) => connections.caller(slot));
  const usage = measureUsage();
  const measured = new Tally(plan.listCalls);
  let phase: Progress['phase'] = plan.warmupMs > 0 ? 'warmup' : 'measure';
  let schedule: Schedule | undefined;
  let gate: SlotGate | undefined;
  let stopped = false;
  let warmupCalls = 0;

  const scheduleFor = (limit: PhaseLimit, startsAt: number): Schedule => {
    const rate = plan.rateRamp ?? plan.rps;
    return rate === undefined ? closedLoop(limit) : openLoop(rate, share, limit, startsAt);
  };

  /**
   * A slot's calls. Call numbers count across every thread (this thread's k-th call is number
   * k·of + index), so that --data templates see each number once; slots count the same way under a
   * --concurrency-schedule.
   */
  async function runSlot(caller: Caller, slot: number, current: Schedule, currentGate: SlotGate | undefined, record: Recorder): Promise<void> {
    const globalSlot = slot * share.of + share.index;
    for (;;) {
      if (currentGate !== undefined) {
        const admitted = currentGate.admit(globalSlot);
        if (admitted !== true && !(await admitted)) return;
      }
      const number = current.issued * share.of + share.index;
      // Most due times are known at once (a closed loop, a late open loop): no promise, no extra turn.
      const due = current.next();
      const dueAt = typeof due === 'object' ? await due : due;
      if (dueAt === undefined) return void currentGate?.close();
      const startedAt = performance.now();
      const outcome = await caller.call(number);
      if (stopped) return; // cut short by stop(): not a measurement
      record(outcome, dueAt, startedAt, performance.now());
    }
  }

  async function runPhase(limit: PhaseLimit, startsAt: number, record: Recorder): Promise<void> {
    schedule = scheduleFor(limit, startsAt);
    gate = plan.concurrencyRamp === undefined ? undefined : concurrencyGate(plan.concurrencyRamp, startsAt);
    const current = schedule;
    const currentGate = gate;
    await Promise.all(callers.map((caller, slot) => runSlot(caller, slot, current, currentGate, record)));
  }

  async function run(): Promise<RunResult> {
    if (plan.warmupMs > 0) {
      const startsAt = performance.now();
      await runPhase({ endsAt: startsAt + plan.warmupMs }, startsAt, () => (warmupCalls += 1));
      phase = 'measure';
    }
    const startsAt = performance.now();
    let lastStart = startsAt;
    let lastEnd = startsAt;
    let maxStartLagMs = 0;
    if (!stopped) {
      const { stop } = plan;
      const limit: PhaseLimit = {
        ...(isTotal(stop) && { total: stop.total }),
        ...(stop.durationMs !== undefined && { endsAt: startsAt + stop.durationMs }),
      };
      let toSkip = plan.skipFirst ?? 0;
      await runPhase(limit, startsAt, (outcome, dueAt, startedAt, endedAt) => {
        if (toSkip > 0) {
          // --skipFirst: as ghz, the first calls to complete are left out of the tally.
          toSkip -= 1;
          warmupCalls += 1;
          return;
        }
        // A call that started a hair early (timer rounding) is measured from when it really started.
        measured.record(outcome, endedAt - Math.min(dueAt, startedAt), startedAt, endedAt);
        maxStartLagMs = Math.max(maxStartLagMs, startedAt - dueAt);
        lastStart = Math.max(lastStart, startedAt);
        lastEnd = Math.max(lastEnd, endedAt);
      });
    }
    return {
      tally: measured.snapshot(),
      warmupCalls,
      elapsedMs: (stopped ? performance.now() : lastEnd) - startsAt,
      startSpanMs: lastStart - startsAt,
      maxStartLagMs,
      interrupted: stopped,
      usage: usage(),
    };
  }

  return {
    progress: () => ({ phase, calls: measured.calls, errors: measured.errors }),
    stop() {
      stopped = true;
      schedule?.stop();
      gate?.close();
      for (const caller of callers) caller.cancel();
    },
    finished: run(),
  };
}

