// A proxy's cancellations are carried; a rapid-reset flood is not.
//
// Knative's queue-proxy and Envoy carry many callers on a few connections and
// forward each caller's cancel as RST_STREAM. nghttp2's own guard (1,000
// resets, then 33 a second, counting every RST_STREAM a client sends, even for
// a stream the server has already answered) cannot tell those from an attack,
// and closes such a connection within seconds. Where Node lets it be set
// (≥ 22.10), that guard is lifted (call-transport.ts, liftResetLimit) and this
// rule, Envoy's, is the guard instead: a call its client reset within
// PREMATURE_MS of its start, before any reply, is premature; a connection
// whose premature resets are more than half of its streams, counted over at
// least MIN_STREAMS, is closed with GOAWAY(ENHANCE_YOUR_CALM). A flood (HEADERS
// then RST_STREAM at once) is all premature resets; a proxy's cancels come
// after work began, most after a reply.
//
// Counted only when a client resets a call (calls.ts): a call that ends with
// its status costs nothing here.
import { constants, type Http2Session } from 'node:http2';
import type { Logger } from '../logger.js';

/** A call reset within this long of its start, before any reply, is premature. */
export const PREMATURE_MS = 1000;
/** No connection is closed for fewer streams than this (Envoy's premature_reset_total_stream_count). */
export const MIN_STREAMS = 500;

export class PrematureResets {
  private readonly counts = new WeakMap<Http2Session, number>();

  constructor(private readonly logger: Logger) {}

  /** The client of a call on `session` that began at `started` (performance.now()) and sent `replies` replies has reset it. */
  note(session: Http2Session | undefined, started: number, replies: number): void {
    if (replies > 0 || performance.now() - started >= PREMATURE_MS) return;
    if (session === undefined || session.closed || session.destroyed) return;
    const premature = (this.counts.get(session) ?? 0) + 1;
    this.counts.set(session, premature);
    if (premature * 2 <= MIN_STREAMS) return;
    // Clients number their streams 1, 3, 5...: the highest the server has taken says how many it has had.
    const streams = ((session.state.lastProcStreamID ?? 0) + 1) / 2;
    if (premature * 2 <= streams) return;
    this.logger.warn(
      { peer: session.socket?.remoteAddress, streams, premature_resets: premature, window_ms: PREMATURE_MS },
      `closed a connection whose client reset ${premature} of its ${Math.round(streams)} streams within ${PREMATURE_MS} ms ` +
        'of their start, before any reply: an HTTP/2 rapid-reset attack (CVE-2023-44487), or a client that cancels almost every call at once',
    );
    this.counts.set(session, -Infinity); // closing: counted no more, logged once
    // Not from here: this may run while nghttp2 is still reading the connection's frames, and Node aborts
    // (an assertion in its stream reading) when the session goes from under it.
    setImmediate(closeSession, session);
  }
}

function closeSession(session: Http2Session): void {
  if (session.destroyed) return;
  session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  session.destroy();
}
