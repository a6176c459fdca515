// What generating the load cost the generator itself, so that a report can say
// when the generator, not the server, was the limit: each thread's event-loop
// utilization and CPU (Linux: /proc/thread-self/schedstat, in nanoseconds), and
// the process's CPU over the run.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** A thread this busy was the bottleneck: its calls waited for it, not for the server. */
export const SATURATED = 0.9;

export interface ThreadUsage {
  /** Share of the run the thread's event loop was busy, 0 to 1. */
  readonly eventLoopUtilization: number;
  /** CPU the thread used, in cores (1 = a whole core); null where the platform does not say. */
  readonly cpuCores: number | null;
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

function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

/** Starts measuring this thread and the process; the function returned gives the usage since. */
export function measureUsage(): () => RunUsage {
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const threadCpu = threadCpuNs();
  const startedAt = performance.now();
  return () => {
    const wallMs = performance.now() - startedAt;
    const { user, system } = process.cpuUsage(cpu);
    const threadCpuNow = threadCpuNs();
    return {
      cpuMs: round3((user + system) / 1000),
      wallMs: round3(wallMs),
      threads: [
        {
          eventLoopUtilization: round3(performance.eventLoopUtilization(loop).utilization),
          cpuCores: threadCpu === undefined || threadCpuNow === undefined || wallMs <= 0 ? null : round3((threadCpuNow - threadCpu) / 1e6 / wallMs),
        },
      ],
    };
  };
}

export function isSaturated(thread: ThreadUsage): boolean {
  return thread.eventLoopUtilization >= SATURATED || (thread.cpuCores ?? 0) >= SATURATED;
}
