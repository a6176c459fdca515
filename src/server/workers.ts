// WORKERS > 1: one primary process forks that many server processes, which
// share the port through node:cluster (the primary accepts connections and
// hands them out round-robin, one connection at a time). The primary serves no
// calls; it keeps the count up and turns a SIGTERM into a drain of every worker.
import cluster, { type Worker } from 'node:cluster';
import type { Config, Env } from '../config.js';
import type { Logger } from '../logger.js';
import { usableCpus } from './cgroup.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function resolveWorkerCount(workers: Config['workers'], cpus: () => number = usableCpus): number {
  return workers === 'auto' ? cpus() : workers;
}

/**
 * Runs the primary: forks `count` workers (each runs the same entry point, with `env` if given, and
 * serves), replaces a worker that dies unexpectedly, and on SIGTERM or SIGINT forwards SIGTERM to every
 * worker. Resolves to the exit code once all have stopped: 0 when each drained and exited 0. A worker that
 * dies before it ever listened is a start-up failure (port taken, say): replacing it would loop, so the
 * primary stops the rest and resolves to 1.
 */
export function runPrimary(count: number, logger: Logger, env?: Env): Promise<number> {
  let done!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (done = resolve));
  let draining = false;
  let failed = false;
  const listened = new WeakSet<Worker>();
  // Our own count: cluster.workers still lists a dead worker until its IPC channel has closed too.
  const live = new Set<Worker>();
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    live.add(worker);
    return worker;
  };

  const stopAll = (reason: string): void => {
    draining = true;
    logger.info({ reason, workers: live.size }, `draining every worker (${reason})`);
    for (const worker of live) worker.process.kill('SIGTERM');
  };

  cluster.on('listening', (worker) => listened.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    const how = signal ?? `code ${code}`;
    const remaining = live.size;
    if (draining) {
      if (code !== 0) failed = true;
      logger.info({ worker: worker.id, pid: worker.process.pid, code, signal, remaining }, `worker ${worker.id} stopped (${how})`);
    } else if (!listened.has(worker)) {
      failed = true;
      logger.error({ worker: worker.id, pid: worker.process.pid, code, signal }, `worker ${worker.id} exited (${how}) before it listened; stopping`);
      stopAll('a worker could not start');
    } else {
      const replacement = fork();
      logger.error(
        { worker: worker.id, pid: worker.process.pid, code, signal, replacement: replacement.id },
        `worker ${worker.id} died unexpectedly (${how}); started worker ${replacement.id} in its place`,
      );
    }
    if (draining && remaining === 0) {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      logger.info('stopped');
      logger.flush(() => done(failed ? 1 : 0));
    }
  });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!draining) stopAll(signal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  logger.info({ workers: count }, `starting ${count} server processes on one port`);
  for (let i = 0; i < count; i += 1) fork();
  return stopped;
}
