// What a proxy's connection to the server carries when its callers cancel
// (Knative's queue-proxy and Envoy forward each caller's cancel as
// RST_STREAM(CANCEL)), and what an attacker's does (HEADERS, then RST_STREAM at
// once: rapid reset, CVE-2023-44487). Both on one node:http2 connection.
import { constants, type ClientHttp2Session } from 'node:http2';
import { helloworld } from '../../src/proto.js';
import { LOTS_OF_REPLIES, SAY_HELLO, grpcFrame, grpcHeaders, openSession, openStream, resetBurst, sayHelloRequest } from './attacks.js';

/** How the connection fared. */
export interface StormRun {
  /** Streams the client cancelled, and of those, how many after a reply. */
  readonly cancelled: number;
  readonly cancelledAfterReply: number;
  /** SayHello calls sent beside them on the same connection, and those that did not end OK (status or reset code). */
  readonly calls: number;
  readonly failed: string[];
  /** The GOAWAY code the server sent, if it did; whether the connection closed. */
  readonly goaway?: number;
  readonly closed: boolean;
  readonly ms: number;
}

const TICK_MS = 50;

/**
 * Every TICK_MS, `perSecond` / 20 LotsOfReplies streams (a reply every 20 ms) each cancelled after its first
 * reply or `cancelAfterMs`, whichever comes first, and one SayHello that should end OK; for `durationMs`, or until
 * the server closes the connection.
 */
export async function cancellationStorm(address: string, perSecond: number, durationMs: number, cancelAfterMs = 5): Promise<StormRun> {
  const session = await openSession(address);
  let goaway: number | undefined;
  let closed = false;
  session.on('goaway', (code: number) => (goaway ??= code));
  session.once('close', () => (closed = true));
  const request = grpcFrame(helloworld.Greeter.service.LotsOfReplies.requestSerialize({ name: 'storm', count: 1000, interval_ms: 20 }));
  let cancelled = 0;
  let cancelledAfterReply = 0;
  let calls = 0;
  const failed: string[] = [];
  const pending: Promise<void>[] = [];
  const started = Date.now();
  for (let tick = 0; Date.now() - started < durationMs && !closed && goaway === undefined; tick += 1) {
    for (let i = 0; i < (perSecond * TICK_MS) / 1000; i += 1) {
      const stream = session.request(grpcHeaders(LOTS_OF_REPLIES), { endStream: false });
      stream.on('error', () => {});
      let replied = false;
      const cancel = (): void => {
        clearTimeout(timer);
        if (stream.closed || stream.destroyed) return;
        stream.close(constants.NGHTTP2_CANCEL);
        cancelled += 1;
        if (replied) cancelledAfterReply += 1;
      };
      const timer = setTimeout(cancel, cancelAfterMs);
      stream.once('data', () => {
        replied = true;
        cancel();
      });
      stream.end(request);
    }
    calls += 1;
    pending.push(
      openStream(session, SAY_HELLO, sayHelloRequest('beside the storm'), true).ended.then((end) => {
        if (end.grpcStatus !== 0) failed.push(end.grpcStatus === undefined ? `reset ${end.rstCode}` : `status ${end.grpcStatus}`);
      }),
    );
    // The schedule: the next tick TICK_MS after this one began, whatever this one took.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (tick + 1) * TICK_MS - Date.now())));
  }
  await Promise.all(pending);
  const ms = Date.now() - started;
  session.destroy();
  return { cancelled, cancelledAfterReply, calls, failed, goaway, closed, ms };
}

/** How a flood's connection ended: after how many resets (sent by then) and milliseconds, with which GOAWAY code. */
export interface FloodRun {
  readonly resets: number;
  readonly closedAfterResets?: number;
  readonly closedAfterMs?: number;
  readonly goaway?: number;
}

/**
 * A rapid-reset flood on one connection: `burst` SayHello streams opened and reset at once per event-loop turn,
 * until the server closes the connection (a GOAWAY, or the socket) or `maxMs` pass.
 */
export async function rapidResetFlood(address: string, burst = 300, maxMs = 10_000): Promise<FloodRun> {
  const session: ClientHttp2Session = await openSession(address);
  let goaway: number | undefined;
  let closedAt: number | undefined;
  let closedAfterResets: number | undefined;
  let resets = 0;
  const closed = (): void => {
    closedAt ??= Date.now();
    closedAfterResets ??= resets;
  };
  session.on('goaway', (code: number) => {
    goaway ??= code;
    closed();
  });
  session.once('close', closed);
  const started = Date.now();
  while (closedAt === undefined && Date.now() - started < maxMs) {
    resets += resetBurst(session, burst);
    await new Promise((resolve) => setImmediate(resolve));
  }
  session.destroy();
  return { resets, closedAfterResets, closedAfterMs: closedAt === undefined ? undefined : closedAt - started, goaway };
}
