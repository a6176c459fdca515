// --shard INDEX/N: this process runs one part of a plan split over N
// processes or pods (an Indexed Job's $(JOB_COMPLETION_INDEX)); their JSON
// reports merge exactly with `load merge`.
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../client/flags.js';
import type { RateShare } from '../load/plan.js';

export const SHARD_FLAGS = {
  shard: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const SHARD_FLAGS_USAGE = `  --shard I/N            run part I (0 to N-1) of the plan split over N processes or pods: each takes
                         its share of --rps, --total, --concurrency and --connections, and the open-loop
                         schedules interleave; merge their JSON reports with 'load merge'. A thread whose
                         share of --connections or --concurrency would be 0 takes 1 (the defaults work for
                         any N; the whole run then has more in flight than asked)`;

/** "2/4" → { index: 2, of: 4 }. */
export function shardFromFlags(value: string | undefined): RateShare {
  if (value === undefined) return { index: 0, of: 1 };
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const of = Number(match?.[2]);
  if (match === null || of < 1 || index >= of) throw new UsageError(`--shard: "${value}" is not INDEX/N with 0 ≤ INDEX < N, such as 0/4`);
  return { index, of };
}
