// Where log lines go: stdout, in batches of whole lines (see BatchedLines for why
// not one of pino's own destinations). The entry point makes the one writer of
// its process (stdoutLines) and hands it to createLogger.
import { pino, type DestinationStream } from 'pino';

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
   * carries; PIPE_BUF unless this process is the file's only writer. Each instance has its own batch and
   * its own exit hook: make one per file descriptor.
   */
  constructor(fd: number, batchBytes = PIPE_BUF) {
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

/**
 * A writer for this process's stdout; the entry point makes one and gives it to every logger it creates.
 * `shared`: other processes write to the same stdout (with WORKERS > 1, the cluster's primary and its
 * workers), so each write stays within PIPE_BUF; a process alone on stdout writes bigger batches.
 */
export function stdoutLines(shared: boolean): BatchedLines {
  return new BatchedLines(1, shared ? PIPE_BUF : SOLE_WRITER_BATCH);
}
