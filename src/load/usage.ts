// What generating the load cost the generator itself, so that a report can say
// when the generator, not the server, was the limit: each thread's event-loop
// utilization, its CPU and the time it was ready to run but waited for a CPU
// (Linux: /proc/thread-self/schedstat, in nanoseconds), and the process's CPU
// over the run. A thread starved by other work on its CPU shows as waiting,
// not as busy: its event loop looks idle while its wake-ups wait their turn.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** A thread this busy was the bottleneck: its calls waited for it, not for the server. */
export const SATURATED = 0.9;

export interface ThreadUsage {
  /** Share of the run the thread's event loop was busy, 0 to 1. */
  readonly eventLoopUtilization: number;
  /** CPU the thread used, in cores (1 = a whole core); null where the platform does not say. */
  readonly cpuCores: number | null;
  /** Time the thread was ready to run but waited for a CPU, in cores; null where the platform does not say. */
  readonly waitingCores: number | null;
}

export interface RunUsage {
  /** CPU time of the whole process over the run, warm-up included, in ms. */
  readonly cpuMs: number;
  /** Wall time of the run, warm-up included, in ms. */
  readonly wallMs: number;
  /** One per thread that made calls. */
  readonly threads: readonly ThreadUsage[];
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** This thread's time on a CPU and time waiting for one, in ns. */
function threadSchedule(): [running: number, waiting: number] | undefined {
  try {
    const [running, waiting] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return [running as number, waiting as number];
  } catch {
    return undefined;
  }
}

/** Starts measuring this thread and the process; the function returned gives the usage since. */
export function measureUsage(): () => RunUsage {
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const schedule = threadSchedule();
  const startedAt = performance.now();
  return () => {
    const wallMs = performance.now() - startedAt;
    const { user, system } = process.cpuUsage(cpu);
    const scheduleNow = threadSchedule();
    const cores = (i: 0 | 1): number | null =>
      schedule === undefined || scheduleNow === undefined || wallMs <= 0 ? null : round3((scheduleNow[i] - schedule[i]) / 1e6 / wallMs);
    return {
      cpuMs: round3((user + system) / 1000),
      wallMs: round3(wallMs),
      threads: [
        {
          eventLoopUtilization: round3(performance.eventLoopUtilization(loop).utilization),
          cpuCores: cores(0),
          waitingCores: cores(1),
        },
      ],
    };
  };
}

/** Busy, or wanting to be: its loop ran ≥ 90 % of the time, or it ran or waited to run ≥ 90 % of the time. */
export function isSaturated(thread: ThreadUsage): boolean {
  return thread.eventLoopUtilization >= SATURATED || (thread.cpuCores ?? 0) + (thread.waitingCores ?? 0) >= SATURATED;
}
