// One logger for the whole process: pino JSON lines in the shape Cloud Logging
// parses (severity, message, time, logging.googleapis.com/* fields), written to
// the destination the entry point gives it (log-destination.ts: stdout).
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { isoTime } from './log-time.js';

export type { Logger };

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: undefined,
      timestamp: () => isoTime(),
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    destination,
  );
}
