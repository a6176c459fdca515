// Graceful shutdown, in the order Cloud Run and Knative expect within their
// 10 s SIGTERM window: health NOT_SERVING → stop accepting calls (a GOAWAY on
// every connection; those without a call in flight are closed at once, as a
// peer may keep an idle socket open for ever) → let calls in flight finish for
// the grace period → end the rest with UNAVAILABLE → close.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { destroyConnection, serverConnections } from './call-transport.js';
import type { InFlightCalls } from './in-flight.js';
import type { Health } from './health.js';

const HEALTH_WATCH = '/grpc.health.v1.Health/Watch';
/** After aborting, how long the UNAVAILABLE statuses get to reach clients before connections are cut. */
const FLUSH_MS = 1000;

export interface DrainContext {
  readonly server: grpc.Server;
  readonly health: Health;
  readonly inFlight: InFlightCalls;
  readonly graceMs: number;
  readonly logger: Logger;
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

export function shuttingDownStatus(): { code: grpc.status; details: string } {
  return {
    code: grpc.status.UNAVAILABLE,
    details: 'server is shutting down; retry the call and another instance will serve it',
  };
}

/** Closes the connections that carry no call in flight (after their GOAWAY); returns how many. */
function closeIdleConnections(server: grpc.Server, inFlight: InFlightCalls): number {
  const busy = new Set(inFlight.list().map((call) => call.connection()));
  let closed = 0;
  for (const connection of serverConnections(server)) {
    if (busy.has(connection)) continue;
    destroyConnection(connection);
    closed += 1;
  }
  return closed;
}

export async function drain({ server, health, inFlight, graceMs, logger }: DrainContext, reason: string): Promise<void> {
  health.set('NOT_SERVING');
  // Watchers have now been told NOT_SERVING; a Watch never finishes by itself, so end it now.
  for (const call of inFlight.list()) if (call.method === HEALTH_WATCH) call.abort(shuttingDownStatus());
  const calls = inFlight.size;

  // XdsServer's tryShutdown calls back once its ports are closed, while its connections may still carry
  // calls, so closed also waits for the calls in flight.
  const closed = new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => inFlight.idle());
  const idle = closeIdleConnections(server, inFlight);
  logger.info(
    { reason, in_flight: calls, idle_connections_closed: idle, grace_ms: graceMs },
    `draining (${reason}): GOAWAY sent, ${idle} idle connections closed, waiting up to ${graceMs} ms for ${calls} calls in flight`,
  );
  const grace = delay(graceMs);
  const finishedInTime = await Promise.race([closed.then(() => true), grace.promise.then(() => false)]);
  grace.cancel();
  if (finishedInTime) {
    logger.info({ in_flight: calls }, 'drained: every call in flight finished');
    return;
  }

  const unfinished = inFlight.list();
  const open = serverConnections(server).length;
  logger.warn(
    { unfinished: unfinished.length, methods: [...new Set(unfinished.map((c) => c.method))], connections: open },
    `grace period of ${graceMs} ms over: waited for ${unfinished.length} calls in flight ` +
      `(${[...new Set(unfinished.map((c) => c.method))].join(', ') || 'none'}) on ${open} connections; ending them with UNAVAILABLE`,
  );
  for (const call of unfinished) call.abort(shuttingDownStatus());
  const flush = delay(FLUSH_MS);
  await Promise.race([closed, flush.promise]);
  flush.cancel();
  server.forceShutdown();
}
