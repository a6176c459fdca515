// Server entry point: environment → config → server → signals.
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createServer } from './server/index.js';

function fail(message: string): never {
  process.stderr.write(`cloudrun-grpc: ${message}\n`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error));
}

const logger = createLogger(config.logLevel);
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
