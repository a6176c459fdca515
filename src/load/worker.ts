// A worker thread's side of --workers: open this worker's share of the
// connections (each thread makes its own credentials from the plain plan),
// say ready, run on "start", report progress and the result.
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadPlan, RateShare } from './plan.js';
import { openLoad, type LoadRun } from './runner.js';
import type { FromWorker, ToWorker } from './workers.js';

export interface WorkerInput {
  readonly plan: LoadPlan;
  readonly share: RateShare;
}

const PROGRESS_EVERY_MS = 200;
const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);
const { plan, share } = workerData as WorkerInput;

try {
  const load = await openLoad(plan, share);
  let run: LoadRun | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stop') return void run?.stop();
    const started = load.start();
    run = started;
    const ticker = setInterval(() => post({ type: 'progress', progress: started.progress() }), PROGRESS_EVERY_MS);
    void started.finished.then((result) => {
      clearInterval(ticker);
      load.close();
      post({ type: 'result', result });
    });
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'error', message: (error as Error).message, code: (error as { code?: string }).code });
}
