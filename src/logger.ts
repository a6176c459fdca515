// One logger for the whole process: pino JSON lines in the shape Cloud Logging
// parses (severity, message, time, logging.googleapis.com/* fields).
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Writes of at most PIPE_BUF bytes reach a pipe whole, so lines from processes sharing stdout never interleave. */
const PIPE_BUF = 4096;

/** stdout for a process that shares it with others (cluster workers): each write is whole lines, at most PIPE_BUF. */
export function sharedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, maxWrite: PIPE_BUF });
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE_CONTEXT = /^([\da-f]{32})(?:\/(\d+))?(?:;o=([01]))?/i;

export interface TraceFields {
  'logging.googleapis.com/trace': string;
  'logging.googleapis.com/spanId'?: string;
  'logging.googleapis.com/trace_sampled'?: boolean;
}

/**
 * The Cloud Logging trace fields for a call, from W3C `traceparent` or the older
 * `x-cloud-trace-context`; undefined when neither header is usable or the project
 * is unknown (the trace field must name the project).
 */
export function traceFields(
  project: string | undefined,
  traceparent: string | undefined,
  cloudTraceContext: string | undefined,
): TraceFields | undefined {
  if (project === undefined) return undefined;
  const w3c = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (w3c) {
    return {
      'logging.googleapis.com/trace': `projects/${project}/traces/${w3c[1]}`,
      'logging.googleapis.com/spanId': w3c[2] as string,
      'logging.googleapis.com/trace_sampled': (parseInt(w3c[3] as string, 16) & 1) === 1,
    };
  }
  const legacy = cloudTraceContext === undefined ? null : CLOUD_TRACE_CONTEXT.exec(cloudTraceContext.trim());
  if (legacy) {
    const fields: TraceFields = { 'logging.googleapis.com/trace': `projects/${project}/traces/${(legacy[1] as string).toLowerCase()}` };
    // x-cloud-trace-context carries a decimal span id; Cloud Logging wants 16 hex digits.
    if (legacy[2] !== undefined) fields['logging.googleapis.com/spanId'] = BigInt(legacy[2]).toString(16).padStart(16, '0');
    if (legacy[3] !== undefined) fields['logging.googleapis.com/trace_sampled'] = legacy[3] === '1';
    return fields;
  }
  return undefined;
}
