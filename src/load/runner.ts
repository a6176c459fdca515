// Runs a plan in this thread: one channel per connection, `concurrency` call
// slots spread over them round-robin, each slot taking the schedule's next due
// time, making one call, and recording it. A warm-up phase (if asked) runs the
// same way first and is only counted.
import { connect, greeterClient, type ConnectOptions } from '../client/connect.js';
import type { GreeterClient } from '../generated/helloworld/Greeter.js';
import { isTotal, type LoadPlan, type RateShare } from './plan.js';
import { closedLoop, openLoop, type PhaseLimit, type Schedule } from './schedule.js';
import { callFor, type Slot } from './shapes.js';
import { Tally, type CallOutcome, type TallySnapshot } from './tally.js';

/**
 * grpc-js shares one subchannel (one TCP connection) between channels whose
 * target and options are equal; a channel-local subchannel pool makes each
 * channel open its own, which is what --connections promises.
 */
export const SEPARATE_CONNECTION_OPTION = 'grpc.use_local_subchannel_pool';

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

/** The target could not be reached before the deadline; nothing was measured. */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

function waitForReady(client: GreeterClient, ms: number): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + ms, (error) => (error ? reject(error) : resolve())),
  );
}

/** Opens the plan's connections and waits until each is ready, so that connecting is not measured as call latency. */
export async function openLoad(plan: LoadPlan, share: RateShare = { index: 0, of: 1 }): Promise<PreparedLoad> {
  const options: ConnectOptions = {
    ...plan.connection,
    // No channelz: nothing reads it here, and it costs Date objects per call the harness would rather spend on load.
    channelOptions: { [SEPARATE_CONNECTION_OPTION]: 1, 'grpc.enable_channelz': 0 },
  };
  const clients = Array.from({ length: plan.connections }, () => greeterClient(connect(plan.target, options)));
  const close = (): void => clients.forEach((client) => client.close());
  try {
    await Promise.all(clients.map((client) => waitForReady(client, plan.deadlineMs)));
  } catch (error) {
    close();
    throw new ConnectError(`cannot connect to ${plan.target} within ${plan.deadlineMs} ms: ${(error as Error).message}`);
  }
  return { start: () => startRun(plan, clients, share), close };
}

type Recorder = (outcome: CallOutcome, dueAt: number, startedAt: number, endedAt: number) => void;

function startRun(plan: LoadPlan, clients: readonly GreeterClient[], share: RateShare): LoadRun {
  const makeCall = callFor(plan.shape, plan);
  const slots: Slot[] = Array.from({ length: plan.concurrency }, () => ({ call: undefined }));
  const measured = new Tally();
  let phase: Progress['phase'] = plan.warmupMs > 0 ? 'warmup' : 'measure';
  let schedule: Schedule | undefined;
  let stopped = false;
  let warmupCalls = 0;

  const scheduleFor = (limit: PhaseLimit, startsAt: number): Schedule =>
    plan.rps === undefined ? closedLoop(limit) : openLoop(plan.rps, share, limit, startsAt);

  async function runSlot(client: GreeterClient, slot: Slot, current: Schedule, record: Recorder): Promise<void> {
    for (;;) {
      const dueAt = await current.next();
      if (dueAt === undefined) return;
      const startedAt = performance.now();
      const outcome = await makeCall(client, slot);
      if (stopped) return; // cut short by stop(): not a measurement
      record(outcome, dueAt, startedAt, performance.now());
    }
  }

  async function runPhase(limit: PhaseLimit, startsAt: number, record: Recorder): Promise<void> {
    schedule = scheduleFor(limit, startsAt);
    const current = schedule;
    await Promise.all(
      slots.map((slot, i) => runSlot(clients[i % clients.length] as GreeterClient, slot, current, record)),
    );
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
      const limit: PhaseLimit = isTotal(plan.stop) ? { total: plan.stop.total } : { endsAt: startsAt + plan.stop.durationMs };
      await runPhase(limit, startsAt, (outcome, dueAt, startedAt, endedAt) => {
        // A call that started a hair early (timer rounding) is measured from when it really started.
        measured.record(outcome, endedAt - Math.min(dueAt, startedAt));
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
    };
  }

  return {
    progress: () => ({ phase, calls: measured.calls, errors: measured.errors }),
    stop() {
      stopped = true;
      schedule?.stop();
      for (const slot of slots) slot.call?.cancel();
    },
    finished: run(),
  };
}

