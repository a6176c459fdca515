// Every call passes through this one server interceptor, which does three jobs
// that need the same per-call record: it sheds calls beyond the concurrency
// limit with RESOURCE_EXHAUSTED, it keeps the set of calls in flight so that a
// drain can end the ones still running with UNAVAILABLE, and it writes one
// access-log line when the call ends.
//
// It runs on every call and every message, so it is built to cost little: one
// object per call (TrackedCall is at once the call the handler talks to and the
// listener the transport talks to), no closure per call or per message, no
// collection that churns (the calls in flight are a list threaded through the
// calls themselves), and nothing built for the access log unless its level is on.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import { traceFields, type Logger } from '../logger.js';

type InterceptingServerListener = Parameters<grpc.ServerInterceptingCall['start']>[0];
type PartialStatus = Parameters<grpc.ServerInterceptingCall['sendStatus']>[0];
type ConnectionInfo = ReturnType<grpc.ServerInterceptingCall['getConnectionInfo']>;

/** Health probes are never shed, so a busy instance is not also reported unhealthy and killed. */
const EXEMPT_PREFIX = '/grpc.health.v1.Health/';

/** A call in flight, as the drain and the tests see it. */
export interface InFlightCall {
  readonly method: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Ends the call now with `status`, and tells its handler it was cancelled so it stops working. */
  abort(status: { code: grpc.status; details: string }): void;
}

/** Severity per status code, as go-grpc-middleware's logging interceptor grades them. */
function levelFor(code: grpc.status): Level {
  switch (code) {
    case grpc.status.OK:
    case grpc.status.CANCELLED:
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.NOT_FOUND:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.UNAUTHENTICATED:
      return 'info';
    case grpc.status.UNKNOWN:
    case grpc.status.UNIMPLEMENTED:
    case grpc.status.INTERNAL:
    case grpc.status.DATA_LOSS:
      return 'error';
    default:
      return 'warn';
  }
}

/** The status a call gets when the server already runs `limit` calls. */
export function overloadedStatus(limit: number): PartialStatus {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details:
      `server is at its limit of ${limit} concurrent calls (MAX_CONCURRENT_CALLS); ` +
      'retry with backoff, or add instances',
    metadata: null,
  };
}

/** The fields of an access-log line (trace fields are added when the call carries a trace). */
interface AccessLine {
  method: string;
  code: string | undefined;
  details?: string | undefined;
  duration_ms: number;
  messages_in: number;
  messages_out: number;
  peer: string;
}

/**
 * What call.getPeer() says, from the addresses grpc-js already read when the call arrived; getPeer() reads
 * them again through the HTTP/2 session's socket proxy, about a tenth of the access line's cost in a CPU
 * profile.
 */
function peerOf({ remoteAddress, remotePort }: ConnectionInfo): string {
  if (!remoteAddress) return 'unknown';
  return remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
}

/** A cancel this close to the deadline is the deadline's doing. */
const DEADLINE_SLACK_MS = 5;

/** How a call was let in: counted against the limit, exempt from it, or refused. */
type Admission = 'counted' | 'exempt' | 'shed';

class TrackedCall extends grpc.ServerInterceptingCall implements InFlightCall, InterceptingServerListener {
  messagesIn = 0;
  messagesOut = 0;
  metadata: grpc.Metadata | undefined;
  ended = false;
  readonly started = performance.now();
  /** Neighbours in the registry's list of calls in flight. */
  older: TrackedCall | undefined;
  newer: TrackedCall | undefined;
  private handler: InterceptingServerListener | undefined;
  private handlerCancelled = false;

  constructor(
    readonly method: string,
    private readonly next: grpc.ServerInterceptingCallInterface,
    private readonly registry: CallRegistry,
    readonly admission: Admission,
  ) {
    super(next);
  }

  // The handler's side: what it sends goes straight to the transport, counted.
  override start(listener: InterceptingServerListener): void {
    this.handler = listener;
    this.next.start(this);
  }

  override sendMetadata(metadata: grpc.Metadata): void {
    this.next.sendMetadata(metadata);
  }

  override sendMessage(message: unknown, callback: () => void): void {
    // After abort() the handler has been told to stop; anything it still writes is dropped.
    if (this.ended) return;
    this.messagesOut += 1;
    this.next.sendMessage(message, callback);
  }

  override sendStatus(status: PartialStatus): void {
    this.finish(status.code, status.details);
    this.next.sendStatus(status);
  }

  // The transport's side: what arrives goes straight to the handler, counted.
  onReceiveMetadata(metadata: grpc.Metadata): void {
    if (this.admission === 'shed') return this.sendStatus(this.registry.overloaded);
    this.metadata = metadata;
    this.handler!.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.messagesIn += 1;
    this.handler!.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.handler!.onReceiveHalfClose();
  }

  onCancel(): void {
    this.finish(this.cancelledCode(), undefined);
    this.cancelHandler();
  }

  abort(status: { code: grpc.status; details: string }): void {
    if (this.ended) return;
    this.sendStatus(status);
    // Tell the handler now: the transport's own cancel waits until the client has read what was written.
    this.cancelHandler();
  }

  private cancelHandler(): void {
    if (this.handlerCancelled) return;
    this.handlerCancelled = true;
    this.handler?.onCancel();
  }

  private finish(code: grpc.status, details: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.registry.release(this);
    this.registry.log(this, code, details);
  }

  /** A call the server ended itself (deadline) is reported to us only as a cancel. */
  private cancelledCode(): grpc.status {
    const deadline = this.next.getDeadline();
    // grpc-js's deadline timer can fire a millisecond before Date.now() reaches the deadline.
    const passed = (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now() + DEADLINE_SLACK_MS;
    return passed ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
  }
}

/**
 * The calls in flight, oldest first, as a doubly linked list threaded through the calls: adding and
 * removing allocate nothing. A Set did, where it hurt: once a long-lived Set sits in V8's old space, each
 * rehash (one every few calls, as calls come and go) allocates its new table there too, and the table it
 * replaced still points at the calls it held until the next full GC. Every call, with its HTTP/2 stream,
 * then outlived young-generation GCs and was promoted: with `--trace-gc-nvp` at 1,500 calls/s, ~700 KB
 * promoted per scavenge instead of ~25 KB, and scavenges 3× as long (README, Performance).
 */
class CallList {
  size = 0;
  private oldest: TrackedCall | undefined;
  private newest: TrackedCall | undefined;

  add(call: TrackedCall): void {
    call.older = this.newest;
    if (this.newest === undefined) this.oldest = call;
    else this.newest.newer = call;
    this.newest = call;
    this.size += 1;
  }

  delete(call: TrackedCall): void {
    if (call.older === undefined) this.oldest = call.newer;
    else call.older.newer = call.newer;
    if (call.newer === undefined) this.newest = call.older;
    else call.newer.older = call.older;
    call.older = call.newer = undefined;
    this.size -= 1;
  }

  /** A copy, oldest first: ending a call removes it from the list. */
  toArray(): TrackedCall[] {
    const calls: TrackedCall[] = [];
    for (let call = this.oldest; call !== undefined; call = call.newer) calls.push(call);
    return calls;
  }
}

export class CallRegistry {
  private readonly inFlight = new CallList();
  /** The shed status, built once: under overload it is sent for every refused call. */
  readonly overloaded: PartialStatus;
  /** Calls in flight that count against the limit (all but health checks). */
  private counted = 0;
  private idleWaiters: (() => void)[] = [];

  /** `maxConcurrentCalls` 0 means no limit. */
  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
    private readonly maxConcurrentCalls: number,
  ) {
    this.overloaded = overloadedStatus(maxConcurrentCalls);
  }

  readonly interceptor: grpc.ServerInterceptor = (methodDescriptor, next) => {
    const method = methodDescriptor.path;
    let admission: Admission = 'counted';
    if (method.startsWith(EXEMPT_PREFIX)) admission = 'exempt';
    else if (this.maxConcurrentCalls > 0 && this.counted >= this.maxConcurrentCalls) admission = 'shed';
    const call = new TrackedCall(method, next, this, admission);
    if (admission === 'counted') this.counted += 1;
    if (admission !== 'shed') this.inFlight.add(call);
    return call;
  };

  /** The calls in flight now, oldest first. */
  calls(): InFlightCall[] {
    return this.inFlight.toArray();
  }

  /** How many calls are in flight now. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  release(call: TrackedCall): void {
    if (call.admission === 'shed') return; // never in flight
    if (call.admission === 'counted') this.counted -= 1;
    this.inFlight.delete(call);
    if (this.inFlight.size > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  log(call: TrackedCall, code: grpc.status, details: string | undefined): void {
    const level = levelFor(code);
    if (!this.logger.isLevelEnabled(level)) return;
    const durationMs = Math.round((performance.now() - call.started) * 1000) / 1000;
    const codeName = grpc.status[code];
    const entry: AccessLine = {
      method: call.method,
      code: codeName,
      duration_ms: durationMs,
      messages_in: call.messagesIn,
      messages_out: call.messagesOut,
      peer: peerOf(call.getConnectionInfo()),
    };
    if (code !== grpc.status.OK) entry.details = details;
    const metadata = call.metadata;
    if (metadata !== undefined && this.project !== undefined) {
      const trace = traceFields(
        this.project,
        metadata.get('traceparent')[0] as string | undefined,
        metadata.get('x-cloud-trace-context')[0] as string | undefined,
      );
      if (trace !== undefined) Object.assign(entry, trace);
    }
    this.logger[level](entry, `${call.method} ${codeName} ${durationMs}ms`);
  }
}
