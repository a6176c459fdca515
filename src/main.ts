// Server entry point: environment → config → server → signals.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createServer } from './server/index.js';

function fail(message: string): never {
  process.stderr.write(`cloudrun-grpc: ${message}\n`);
  process.exit(2);
}

/** Runs a start-up step; a configuration problem ends the process with exit code 2 and a message, not a stack trace. */
function configured<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

const config = configured(() => loadConfig());
const logger = createLogger(config.logLevel);
// XdsServer reads the xDS bootstrap as it is built, so createServer can find a configuration problem too.
const server = configured(() => createServer(config, { logger }));

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
