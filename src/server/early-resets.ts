// Calls their clients reset before the request arrived: one is a client that
// changed its mind, a flood is an attack (HTTP/2 rapid reset, CVE-2023-44487).
// Each gets its own access line (CANCELLED, INFO) up to BURST in a window of
// WINDOW_MS; the rest of the window's are counted, and one WARNING line says
// how many when the window ends. So a flood writes at most BURST + 1 lines per
// WINDOW_MS, whatever its rate. Calls to methods the server does not have get
// the same treatment, in a window of their own.
import type { Logger } from '../logger.js';

export const WINDOW_MS = 5000;
export const BURST = 10;

/** What the summary line says of the calls it counts. */
export interface LimitedLines {
  /** What they are: "calls reset by their clients before their request arrived". */
  readonly what: string;
  /** What many of them at once means. */
  readonly hint: string;
}

export const RESET_LINES: LimitedLines = {
  what: 'calls reset by their clients before their request arrived',
  hint: 'many at once is an HTTP/2 rapid-reset attack',
};

export class EarlyResets {
  private windowStarted = -Infinity;
  private logged = 0;
  private notLogged = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly summarize = (): void => this.flush();

  constructor(
    private readonly logger: Logger,
    private readonly lines: LimitedLines = RESET_LINES,
  ) {}

  /** Whether this reset gets its own access line; when not, it is counted for the window's summary. */
  admit(now: number): boolean {
    if (now - this.windowStarted >= WINDOW_MS) {
      this.flush();
      this.windowStarted = now;
      this.logged = 0;
    }
    if (this.logged < BURST) {
      this.logged += 1;
      return true;
    }
    this.notLogged += 1;
    // Unref'd: a pending summary never keeps the process alive.
    this.timer ??= setTimeout(this.summarize, WINDOW_MS - (now - this.windowStarted)).unref();
    return false;
  }

  /** Writes the summary of the resets not logged one by one, if any. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.notLogged === 0) return;
    const count = this.notLogged;
    this.notLogged = 0;
    this.logger.warn(
      { not_logged: count, window_ms: WINDOW_MS },
      `${count} more ${this.lines.what} were not logged one by one ` +
        `(at most ${BURST} are per ${WINDOW_MS / 1000} s); ${this.lines.hint}`,
    );
  }
}
