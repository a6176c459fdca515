// What the container may use, as its cgroup says: Kubernetes turns a pod's CPU
// and memory limits into cgroup files, which availableParallelism() and
// os.totalmem() do not read. WORKERS=auto and MEMORY_LIMIT_MIB=auto start here.
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Config } from '../config.js';

const CGROUP_CPU_MAX = '/sys/fs/cgroup/cpu.max';
/** cgroup v2, then v1 (older GKE node images). */
const CGROUP_MEMORY_LIMITS = ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];

/**
 * CPUs this process may use: the CPUs it can run on, capped by a cgroup v2 CPU quota (a Kubernetes CPU
 * limit). A quota of 1.5 CPUs counts as 2.
 */
export function usableCpus(cpuMaxFile: string = CGROUP_CPU_MAX): number {
  const cpus = availableParallelism();
  let quota: string | undefined;
  let period: string | undefined;
  try {
    [quota, period] = readFileSync(cpuMaxFile, 'utf8').trim().split(/\s+/);
  } catch {
    return cpus; // no cgroup v2 CPU controller here
  }
  if (quota === undefined || quota === 'max' || !(Number(period) > 0) || !(Number(quota) > 0)) return cpus;
  return Math.max(1, Math.min(cpus, Math.ceil(Number(quota) / Number(period))));
}

/**
 * Bytes of memory this process may use: the container's cgroup memory limit (a Kubernetes memory limit),
 * or the machine's memory where there is none. cgroup v1 writes "no limit" as a number near 2^63.
 */
export function usableMemory(memoryLimitFiles: readonly string[] = CGROUP_MEMORY_LIMITS): number {
  const machine = totalmem();
  for (const file of memoryLimitFiles) {
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8').trim();
    } catch {
      continue; // this cgroup version is not mounted here
    }
    const limit = Number(raw);
    return /^\d+$/.test(raw) && limit > 0 ? Math.min(limit, machine) : machine;
  }
  return machine;
}

export function resolveMemoryLimit(memoryLimit: Config['memoryLimit'], memory: () => number = usableMemory): number {
  return memoryLimit === 'auto' ? memory() : memoryLimit;
}
