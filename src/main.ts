// Server entry point: environment → config → server → signals. With WORKERS > 1
// this process becomes the cluster primary and each worker runs this file again.
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, sharedStdout, type Logger } from './logger.js';
import { createServer } from './server/index.js';
import { resolveWorkerCount, runPrimary } from './server/workers.js';

function fail(message: string): never {
  process.stderr.write(`cloudrun-grpc: ${message}\n`);
  process.exit(2);
}

function serve(config: Config, logger: Logger): void {
  const server = createServer(config, { logger });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void server.drain(signal).then(() => {
        logger.info('stopped');
        logger.flush(() => process.exit(0));
      });
    });
  }
  server.listen().catch((error: unknown) => {
    const where = `${config.host ?? 'every interface'} port ${config.port}`;
    logger.fatal({ err: error, host: config.host, port: config.port }, `cannot listen on ${where} (check HOST and PORT)`);
    logger.flush(() => process.exit(1));
  });
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error));
}

if (cluster.isWorker) {
  // Workers write to the same stdout: whole lines per write, and each line says which worker wrote it.
  serve(config, createLogger(config.logLevel, sharedStdout()).child({ worker: cluster.worker?.id, pid: process.pid }));
} else {
  const workers = resolveWorkerCount(config.workers);
  if (workers > 1) runPrimary(workers, createLogger(config.logLevel));
  else serve(config, createLogger(config.logLevel));
}
