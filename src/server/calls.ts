// Every call passes through this one server interceptor, which does two jobs
// that need the same per-call record: it writes one access-log line when the
// call ends, and it keeps the set of calls in flight so that a drain can end
// the ones still running with UNAVAILABLE.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import { traceFields, type Logger } from '../logger.js';

type InterceptingServerListener = Parameters<grpc.ServerInterceptingCall['start']>[0];

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

/** A cancel this close to the deadline is the deadline's doing. */
const DEADLINE_SLACK_MS = 5;

class CallRecord implements InFlightCall {
  messagesIn = 0;
  messagesOut = 0;
  metadata: grpc.Metadata | undefined;
  handlerListener: InterceptingServerListener | undefined;
  call: grpc.ServerInterceptingCall | undefined;
  ended = false;
  readonly started = performance.now();

  constructor(
    readonly method: string,
    private readonly next: grpc.ServerInterceptingCallInterface,
    private readonly registry: CallRegistry,
  ) {}

  abort(status: { code: grpc.status; details: string }): void {
    if (this.ended) return;
    this.call?.sendStatus(status);
    this.handlerListener?.onCancel();
  }

  finish(code: grpc.status, details: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.registry.remove(this);
    this.registry.log(this, code, details, this.next);
  }

  /** A call the server ended itself (deadline) is reported to us only as a cancel. */
  cancelledCode(): grpc.status {
    const deadline = this.next.getDeadline();
    // grpc-js's deadline timer can fire a millisecond before Date.now() reaches the deadline.
    const passed = (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now() + DEADLINE_SLACK_MS;
    return passed ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
  }
}

/** Remembers the handler's listener, so that abort() can tell the handler its call is over. */
class AbortableCall extends grpc.ServerInterceptingCall {
  constructor(
    next: grpc.ServerInterceptingCallInterface,
    responder: grpc.Responder,
    private readonly record: CallRecord,
  ) {
    super(next, responder);
  }

  override start(listener: InterceptingServerListener): void {
    this.record.handlerListener = listener;
    super.start(listener);
  }
}

export class CallRegistry {
  readonly inFlight = new Set<CallRecord>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
  ) {}

  readonly interceptor: grpc.ServerInterceptor = (methodDescriptor, next) => {
    const record = new CallRecord(methodDescriptor.path, next, this);
    this.inFlight.add(record);
    const responder: grpc.Responder = {
      start: (proceed) =>
        proceed({
          onReceiveMetadata: (metadata, forward) => {
            record.metadata = metadata;
            forward(metadata);
          },
          onReceiveMessage: (message, forward) => {
            record.messagesIn += 1;
            forward(message);
          },
          onCancel: () => record.finish(record.cancelledCode(), undefined),
        }),
      // After abort() the handler has been told to stop; anything it still writes is dropped.
      sendMessage: (message, forward) => {
        if (record.ended) return;
        record.messagesOut += 1;
        forward(message);
      },
      sendStatus: (status, forward) => {
        record.finish(status.code, status.details);
        forward(status);
      },
    };
    record.call = new AbortableCall(next, responder, record);
    return record.call;
  };

  /** Resolves once no call is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  remove(record: CallRecord): void {
    this.inFlight.delete(record);
    if (this.inFlight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  log(record: CallRecord, code: grpc.status, details: string | undefined, call: grpc.ServerInterceptingCallInterface): void {
    const level = levelFor(code);
    if (!this.logger.isLevelEnabled(level)) return;
    const durationMs = Math.round((performance.now() - record.started) * 1000) / 1000;
    const codeName = grpc.status[code];
    const metadata = record.metadata;
    const trace =
      metadata === undefined
        ? undefined
        : traceFields(
            this.project,
            metadata.get('traceparent')[0] as string | undefined,
            metadata.get('x-cloud-trace-context')[0] as string | undefined,
          );
    this.logger[level](
      {
        method: record.method,
        code: codeName,
        details: code === grpc.status.OK ? undefined : details,
        duration_ms: durationMs,
        messages_in: record.messagesIn,
        messages_out: record.messagesOut,
        peer: call.getPeer(),
        ...trace,
      },
      `${record.method} ${codeName} ${durationMs}ms`,
    );
  }
}
