// The server as a process, shared by src/main.ts and `cloudrun-grpc serve`:
// environment → config → server → listen, then SIGTERM/SIGINT → drain. With
// WORKERS > 1 this process becomes the cluster primary (workers.ts) and each
// worker runs the same entry point again, arriving here as a worker.
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config, type Env } from '../config.js';
import { stdoutLines } from '../log-destination.js';
import { createLogger, type Logger } from '../logger.js';
import { createServer } from './index.js';
import { resolveWorkerCount, runPrimary } from './workers.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Log lines wait in a batch (log-destination.ts): write the last ones to stdout before the process exits. */
function flushed(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * Runs the Greeter until a signal has drained it. Resolves to the process exit code: 0 after a drain,
 * 1 when it cannot listen, 2 when the configuration is invalid (loadConfig checks all of it, the TLS
 * files and the xDS bootstrap included, before anything binds).
 */
export async function runServer(env?: Env, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`cloudrun-grpc: invalid configuration: ${error.message}\n`);
    return 2;
  }
  if (cluster.isPrimary) {
    const workers = resolveWorkerCount(config.workers);
    if (workers > 1) return runPrimary(workers, createLogger(config.logLevel, stdoutLines(true)), env);
  }
  let logger = createLogger(config.logLevel, stdoutLines(cluster.isWorker));
  // Workers share stdout (every write is whole lines), so each line says which worker wrote it.
  if (cluster.isWorker) logger = logger.child({ worker: cluster.worker?.id, pid: process.pid });
  const server = createServer(config, { logger });

  let stopped!: (code: number) => void;
  const drained = new Promise<number>((resolve) => (stopped = resolve));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = true;
    void server.drain(signal).then(() => {
      logger.info('stopped');
      stopped(0);
    });
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);

  try {
    // A signal may come while listen() still waits: with XDS_SERVER=on it waits for the control plane's
    // Listener, which may never come. The drain then ends the run, listening or not.
    await Promise.race([server.listen(), drained]);
  } catch (error) {
    // Unless a drain stopped the server under a listen() still pending, which then failed: the drain's outcome stands.
    if (!signalled) {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      const where = `${config.host ?? 'every interface'} port ${config.port}`;
      // The metrics endpoint, bound first, names METRICS_PORT itself.
      const message = error instanceof ConfigError ? error.message : `cannot listen on ${where} (check HOST and PORT)`;
      logger.fatal({ err: error, host: config.host, port: config.port }, message);
      await flushed(logger);
      return 1;
    }
  }
  const code = await drained;
  await flushed(logger);
  return code;
}
