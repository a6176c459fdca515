// One logger for the whole process: pino JSON lines in the shape Cloud Logging
// parses (severity, message, time, logging.googleapis.com/* fields).
import cluster from 'node:cluster';
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
      timestamp: () => isoTime(),
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    destination ?? stdoutDestination(),
  );
}

/**
 * Writes of at most PIPE_BUF bytes reach a pipe whole, so lines from processes sharing stdout (cluster
 * workers) never interleave.
 */
export const PIPE_BUF = 4096;

/** A process that has stdout to itself writes up to this much at once: fewer write(2)s into the file system. */
export const SOLE_WRITER_BATCH = 64 * 1024;

/** How long a line may wait to be written with the lines logged after it. */
export const FLUSH_INTERVAL_MS = 100;

/** sonic-boom with `contentMode: 'buffer'` takes Buffers; its typings know only strings. */
interface BufferSink {
  write(data: Buffer): boolean;
}

/**
 * The logger's destination: the process's stdout. A line waits at most FLUSH_INTERVAL_MS to be written
 * with the lines logged after it, in one write(2) of whole lines of at most `batchBytes` (at once when the
 * next line would not fit; a longer line goes alone). Whatever still waits is written when the process
 * exits, even by an uncaught exception; only a SIGKILL loses it.
 *
 * Why not one of pino's own: an asynchronous destination (`sync: false`) makes each line that finds no write
 * in flight its own round trip through libuv's thread pool, which under load is most lines; a synchronous one
 * makes each line its own write(2). sonic-boom's `minLength` buffer would gather lines, but it measures the
 * whole buffer again (Buffer.byteLength) for every line it appends. So each line is encoded once, straight
 * into the batch, and sonic-boom writes each full batch synchronously (handling EAGAIN and short writes).
 * Measured with `npm run bench` (README, Performance).
 */
export class BatchedLines implements DestinationStream {
  private readonly sonic: BufferSink;
  private batch: Buffer;
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = (): void => this.flush();

  /**
   * `fd`: the file descriptor to write to (stdout, but for tests). `batchBytes`: the most one write(2)
   * carries; PIPE_BUF unless this process is stdout's only writer.
   */
  constructor(fd = 1, batchBytes = PIPE_BUF) {
    this.sonic = pino.destination({ dest: fd, sync: true, contentMode: 'buffer' }) as unknown as BufferSink;
    this.batch = Buffer.allocUnsafeSlow(batchBytes);
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8: a line that surely fits needs no measuring.
    if (line.length * 3 > this.batch.length - this.used) {
      const bytes = Buffer.byteLength(line);
      if (bytes > this.batch.length - this.used) this.writeWaiting();
      if (bytes > this.batch.length) return void this.sonic.write(Buffer.from(line));
    }
    this.used += this.batch.write(line, this.used);
    // Unref'd: waiting lines never keep the process alive (the exit hook writes them).
    this.timer ??= setTimeout(this.flushNow, FLUSH_INTERVAL_MS).unref();
  }

  /** Writes what waits, now; logger.flush(callback) calls back once it is written. */
  flush(callback?: () => void): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writeWaiting();
    callback?.();
  }

  private writeWaiting(): void {
    if (this.used === 0) return;
    this.sonic.write(this.batch.subarray(0, this.used));
    // The batch just written may still be sonic-boom's (a write it could not finish), so lines go to a new one.
    this.batch = Buffer.allocUnsafeSlow(this.batch.length);
    this.used = 0;
  }
}

let stdoutLines: BatchedLines | undefined;

/**
 * The one stdout destination of this process. `shared`: other processes write to the same stdout (with
 * WORKERS > 1, the cluster's primary and its workers), so each write stays within PIPE_BUF; a process alone
 * on stdout writes bigger batches.
 */
export function stdoutDestination(shared = cluster.isWorker): DestinationStream {
  return (stdoutLines ??= new BatchedLines(1, shared ? PIPE_BUF : SOLE_WRITER_BATCH));
}

/**
 * pino.stdTimeFunctions.isoTime builds a Date and formats all of it for every line; this formats the
 * date and time once a second and adds the milliseconds. Same output: `,"time":"2026-11-25T22:05:23.380Z"`.
 */
let second = Number.NaN;
let secondPrefix = '';
export function isoTime(now = Date.now()): string {
  const millis = now % 1000;
  if (now - millis !== second) {
    second = now - millis;
    secondPrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  return `${secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z"`;
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
