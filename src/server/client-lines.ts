// Lines a client can cause by itself, at any rate: calls it reset before
// their request arrived, calls refused before their handler (a health Watch
// flood, overload), requests grpc-js could not take (undecodable or oversize
// messages, a bad grpc-timeout or grpc-encoding), calls to methods the server
// does not have. Each gets its own line up to
// BURST per client (its address, whatever its port) in a window of WINDOW_MS;
// the rest of the window's are counted, and one WARNING line per client says
// how many when the window ends. So a flood writes at most BURST + 1 lines per
// client per WINDOW_MS, whatever its rate, and a flood from many addresses at
// most MAX_CLIENTS times that.
import type { Logger } from '../logger.js';

export const WINDOW_MS = 5000;
export const BURST = 10;
/** Clients counted one by one; beyond them, the rest share one count. */
const MAX_CLIENTS = 1000;
const OTHER_CLIENTS = 'other clients';

interface ClientWindow {
  /** performance.now() when the window began. */
  started: number;
  logged: number;
  notLogged: number;
  /** The window before had lines not logged: this one logs none one by one either. */
  flooding: boolean;
}

export class ClientLines {
  private readonly clients = new Map<string, ClientWindow>();
  private timer: NodeJS.Timeout | undefined;
  private readonly summarize = (): void => this.flush(performance.now());

  constructor(private readonly logger: Logger) {}

  /**
   * Whether a line that client `client` (an address, without port) caused gets written; when not, it is
   * counted for the client's summary. `now` is performance.now().
   */
  admit(client: string, now: number): boolean {
    let window = this.clients.get(client);
    if (window === undefined) {
      if (this.clients.size >= MAX_CLIENTS) return this.admit(OTHER_CLIENTS, now);
      this.clients.set(client, (window = { started: now, logged: 0, notLogged: 0, flooding: false }));
    } else if (now - window.started >= WINDOW_MS) {
      this.nextWindow(client, window, now);
    }
    if (!window.flooding && window.logged < BURST) {
      window.logged += 1;
      return true;
    }
    window.notLogged += 1;
    // Unref'd: a pending summary never keeps the process alive.
    this.timer ??= setTimeout(this.summarize, WINDOW_MS).unref();
    return false;
  }

  /** Writes the summary of every client whose window is over; a client whose window logged everything is forgotten. */
  private flush(now: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let pending = false;
    for (const [client, window] of this.clients) {
      if (now - window.started >= WINDOW_MS && !this.nextWindow(client, window, now)) this.clients.delete(client);
      else pending ||= window.flooding || window.notLogged > 0;
    }
    if (pending) this.timer = setTimeout(this.summarize, WINDOW_MS).unref();
  }

  /** Ends `window` with its summary and starts the next; returns whether the client is still flooding. */
  private nextWindow(client: string, window: ClientWindow, now: number): boolean {
    window.flooding = window.notLogged > 0;
    window.started = now;
    window.logged = 0;
    if (!window.flooding) return false;
    const count = window.notLogged;
    window.notLogged = 0;
    this.logger.warn(
      { peer: client, not_logged: count, window_ms: WINDOW_MS },
      `${count} more calls from ${client} that ended before their handler (reset by the client, refused, a request ` +
        `the server could not take, or a method it does not have) were not logged one by one (at most ${BURST} per client, then this count every ${WINDOW_MS / 1000} s while it lasts); ` +
        'many at once is a flood (an HTTP/2 rapid-reset attack, or a misbehaving client)',
    );
    return true;
  }
}
