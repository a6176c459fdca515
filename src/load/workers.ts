// --workers N: the plan split into N shares, each run by a worker thread with
// its own connections, so that generating load is not capped by one core.
// Workers connect first, then all start together; their results merge exactly
// (counts add up, histograms are merged from HdrHistogram's encoding).
import { Worker } from 'node:worker_threads';
import { isTotal, type LoadPlan, type RateShare } from './plan.js';
import { ConnectError, openLoad, type LoadRun, type PreparedLoad, type Progress, type RunResult } from './runner.js';
import { mergeSnapshots } from './tally.js';
import { measureUsage, type RunUsage } from './usage.js';
import type { WorkerInput } from './worker.js';

export type ToWorker = { readonly type: 'start' } | { readonly type: 'stop' };
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'error'; readonly message: string; readonly code: string | undefined }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'result'; readonly result: RunResult };

/**
 * Built, the worker is plain JavaScript. Under tsx (tests, `npm run bench`) it is TypeScript, and on
 * Node 20 tsx's loader hooks do not reach worker threads (privatenumber/tsx#354), so the worker
 * registers them itself before importing its module.
 */
function newWorker(workerData: WorkerInput): Worker {
  /* c8 ignore next */
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((api) => { api.register(); return import(${worker}); })`, { eval: true, workerData });
}

/** `n` split into `parts` whole shares that differ by at most one and add up to `n`. */
export function shares(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** One thread's part of a plan: what it runs, and its place among the threads of every shard. */
export interface PlanPart {
  readonly plan: LoadPlan;
  readonly share: RateShare;
}

/**
 * The parts this process's threads run. Thread w of shard s is thread s × workers + w of shards × workers
 * in all and takes that thread's shares() of the concurrency, connections and total, so that every shard's
 * parts add up to the whole plan exactly and the open-loop due times of all threads interleave.
 * Needs connections ≤ concurrency (the command checks); a thread whose share would be 0 takes 1.
 */
export function splitPlan(plan: LoadPlan): PlanPart[] {
  const of = plan.shard.of * plan.workers;
  const concurrency = shares(plan.concurrency, of);
  const connections = shares(plan.connections, of);
  const totals = isTotal(plan.stop) ? shares(plan.stop.total, of) : undefined;
  const listed = shares(plan.listCalls, plan.workers);
  const skipped = shares(plan.skipFirst ?? 0, of);
  return Array.from({ length: plan.workers }, (_, worker) => {
    const index = plan.shard.index * plan.workers + worker;
    return {
      plan: {
        ...plan,
        workers: 1,
        // Every thread of every shard calls: a share of 0 (fewer connections or calls in flight than threads in all) is 1.
        concurrency: Math.max(1, concurrency[index] as number),
        connections: Math.max(1, connections[index] as number),
        stop: totals ? { ...plan.stop, total: totals[index] as number } : plan.stop,
        listCalls: listed[worker] as number,
        ...(plan.skipFirst !== undefined && { skipFirst: skipped[index] as number }),
      },
      share: { index, of },
    };
  });
}

/** The workers' results as one; `usage` is the process's, measured by the thread that ran them. */
export function mergeResults(results: readonly RunResult[], usage: RunUsage): RunResult {
  const max = (pick: (r: RunResult) => number): number => Math.max(...results.map(pick));
  return {
    tally: mergeSnapshots(results.map((r) => r.tally)),
    warmupCalls: results.reduce((n, r) => n + r.warmupCalls, 0),
    elapsedMs: max((r) => r.elapsedMs),
    startSpanMs: max((r) => r.startSpanMs),
    maxStartLagMs: max((r) => r.maxStartLagMs),
    interrupted: results.some((r) => r.interrupted),
    usage: { cpuMs: usage.cpuMs, wallMs: usage.wallMs, threads: results.flatMap((r) => r.usage.threads) },
  };
}

interface LoadWorker {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly result: Promise<RunResult>;
  progress: Progress;
}

function spawnWorker(input: WorkerInput, index: number): LoadWorker {
  const worker = newWorker(input);
  const received = <T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> =>
    new Promise((resolve) =>
      worker.on('message', (message: FromWorker) => {
        if (message.type === type) resolve(message as Extract<FromWorker, { type: T }>);
      }),
    );
  const failed = new Promise<never>((_, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`load worker ${index} exited with code ${code} before reporting`)));
    void received('error').then(({ message, code }) => reject(new ConnectError(message, code)));
  });
  const ready = Promise.race([failed, received('ready').then(() => undefined)]);
  const result = Promise.race([failed, received('result').then((message) => message.result)]);
  // A worker that fails before starting is reported through `ready`; nobody awaits its result then.
  result.catch(() => undefined);
  const state: LoadWorker = { worker, ready, result, progress: { phase: 'warmup', calls: 0, errors: 0 } };
  worker.on('message', (message: FromWorker) => {
    if (message.type === 'progress') state.progress = message.progress;
  });
  return state;
}

/** Opens this process's part of the plan: in this thread, or in --workers threads. */
export function openPlan(plan: LoadPlan): Promise<PreparedLoad> {
  if (plan.workers > 1) return openWorkers(plan);
  const [part] = splitPlan(plan) as [PlanPart];
  return openLoad(part.plan, part.share);
}

export async function openWorkers(plan: LoadPlan): Promise<PreparedLoad> {
  const workers = splitPlan(plan).map((part, index) => spawnWorker(part, index));
  const close = (): void => workers.forEach(({ worker }) => void worker.terminate());
  try {
    await Promise.all(workers.map((w) => w.ready));
  } catch (error) {
    close();
    throw error;
  }
  const send = (message: ToWorker): void => workers.forEach(({ worker }) => worker.postMessage(message));
  return {
    start(): LoadRun {
      // The process's CPU, every worker's included; each worker measures its own thread.
      const usage = measureUsage();
      send({ type: 'start' });
      return {
        progress: () => ({
          phase: workers.some((w) => w.progress.phase === 'warmup') ? 'warmup' : 'measure',
          calls: workers.reduce((n, w) => n + w.progress.calls, 0),
          errors: workers.reduce((n, w) => n + w.progress.errors, 0),
        }),
        stop: () => send({ type: 'stop' }),
        finished: Promise.all(workers.map((w) => w.result)).then((results) => mergeResults(results, usage())),
      };
    },
    close,
  };
}
