// How the harness makes calls, behind one small interface: the wire-level
// driver (gRPC framed on node:http2, the default: it costs the generator a
// fraction of what a full client does) or grpc-js (--driver grpc-js, and any
// target that needs grpc-js's resolvers: xds:///, unix:, …).
import { useLeanAsyncBind } from './async-bind.js';
import { openGrpcJsConnections } from './grpc-js/driver.js';
import type { DriverName, LoadPlan, RateShare } from './plan.js';
import type { CallOutcome } from './tally.js';
import { openWireConnections } from './wire/driver.js';
import { wireAddress } from './wire/session.js';

/** One concurrency slot's way to make calls, one at a time. */
export interface Caller {
  /** Makes call number `n` of the run (its requests and metadata are the plan's for that number); resolves to how it ended, never rejects. */
  call(n: number): Promise<CallOutcome>;
  /** Cancels the call in progress, if any (its outcome is then CANCELLED). */
  cancel(): void;
}

/** A thread's connections, open and ready. */
export interface LoadConnections {
  /** The caller of concurrency slot `slot`: slots are spread over the connections round-robin. */
  caller(slot: number): Caller;
  close(): void;
}

export { ConnectError } from '../client/connect.js';

/** The driver for `target`: the one asked for, but grpc-js for targets only its resolvers understand. */
export function resolveDriver(asked: DriverName | undefined, target: string): DriverName {
  if (wireAddress(target) === undefined) return 'grpc-js';
  return asked ?? 'http2';
}

/** Opens the plan's connections with its driver; rejects with ConnectError. `share` is this thread's place among all (its WorkerID). */
export function openConnections(plan: LoadPlan, share: RateShare): Promise<LoadConnections> {
  // Both drivers open their streams with node:http2's session.request(): the same fix for both.
  useLeanAsyncBind();
  return plan.driver === 'http2' ? openWireConnections(plan, share) : openGrpcJsConnections(plan, share);
}
