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

/** The byte that ends every line. */
const NEWLINE = 0x0a;

/**
 * The logger's destination: the process's stdout. A line waits at most FLUSH_INTERVAL_MS to be written
 * with the lines logged after it, in one write(2) of whole lines of at most `batchBytes` (at once when the
 * next line would not fit; a longer line goes alone). Whatever still waits is written when the process
 * exits, even by an uncaught exception; only a SIGKILL loses it.
 *
 * Why not one of pino's own: an asynchronous destination (`sync: false`) makes each line that finds no write
 * in flight its own round trip through libuv's thread pool, which under load is most lines; a synchronous one
 * makes each line its own write(2). sonic-boom's `minLength` buffer would gather lines, but it measures the
 * whole buffer again (Buffer.byteLength) for every line it appends. So the lines wait as the strings the
 * logger made (pino, or log-line.ts for the access line), and a batch is joined and encoded to UTF-8 once, when it is written, which costs less than encoding
 * each line as it comes (a Buffer.write per line: a call into C++ and a flat copy of the line each; measured
 * with `npm run bench:access-line`, docs/performance.md). sonic-boom writes each batch synchronously (handling
 * EAGAIN and short writes).
 */
export class BatchedLines implements DestinationStream {
  private readonly sonic: BufferSink;
  private waiting: string[] = [];
  /**
   * The characters waiting. A line has at least as many bytes as characters, and as many when it is ASCII,
   * as nearly every line is: a batch is full when its characters are.
   */
  private waitingChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = (): void => this.flush();

  /**
   * `fd`: the file descriptor to write to (stdout, but for tests). `batchBytes`: the most one write(2)
   * carries; PIPE_BUF unless this process is the file's only writer. Each instance has its own batch and
   * its own exit hook: make one per file descriptor.
   */
  constructor(
    fd: number,
    private readonly batchBytes = PIPE_BUF,
  ) {
    this.sonic = pino.destination({ dest: fd, sync: true, contentMode: 'buffer' }) as unknown as BufferSink;
    process.once('exit', () => this.flush());
  }

  write(line: string): void {
    if (this.waitingChars + line.length > this.batchBytes) this.writeWaiting();
    if (line.length > this.batchBytes) return void this.sonic.write(Buffer.from(line));
    this.waiting.push(line);
    this.waitingChars += line.length;
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
    if (this.waitingChars === 0) return;
    const bytes = Buffer.from(this.waiting.join(''));
    this.waiting = [];
    this.waitingChars = 0;
    // Characters beyond ASCII take more bytes than one: such a batch goes in several writes of whole lines.
    for (let start = 0; start < bytes.length; ) {
      const end = bytes.length - start <= this.batchBytes ? bytes.length : batchEnd(bytes, start, this.batchBytes);
      this.sonic.write(bytes.subarray(start, end));
      start = end;
    }
  }
}

/** Where the whole lines from `start` that fit in `batchBytes` end; a longer line goes alone. */
function batchEnd(bytes: Buffer, start: number, batchBytes: number): number {
  const lastNewline = bytes.lastIndexOf(NEWLINE, start + batchBytes - 1);
  if (lastNewline >= start) return lastNewline + 1;
  const nextNewline = bytes.indexOf(NEWLINE, start);
  return nextNewline === -1 ? bytes.length : nextNewline + 1;
}

/**
 * A writer for this process's stdout; the entry point makes one and gives it to every logger it creates.
 * `shared`: other processes write to the same stdout (with WORKERS > 1, the cluster's primary and its
 * workers), so each write stays within PIPE_BUF; a process alone on stdout writes bigger batches.
 */
export function stdoutLines(shared: boolean): BatchedLines {
  return new BatchedLines(1, shared ? PIPE_BUF : SOLE_WRITER_BATCH);
}
