// The one server interceptor every call passes through. It asks admission.ts
// whether to take the call on, keeps it in the list of calls in flight
// (in-flight.ts) while it runs, and has access-log.ts write its line when it
// ends; each of those decides for itself, this file only counts and wires.
//
// It runs on every call and every message, so it is built to cost little: one
// object per call (TrackedCall is at once the call the handler talks to, the
// listener the transport talks to and the node of the in-flight list), no
// closure per call or per message, and nothing built for the access line
// unless its level is on.
import * as grpc from '@grpc/grpc-js';
import type { AccessLog, LoggedCall } from './access-log.js';
import type { Admission, Ticket } from './admission.js';
import type { InFlightCalls, ListedCall } from './in-flight.js';

type InterceptingServerListener = Parameters<grpc.ServerInterceptingCall['start']>[0];
type PartialStatus = Parameters<grpc.ServerInterceptingCall['sendStatus']>[0];

/** What every call reports to, shared by all of them. */
export interface CallTracking {
  readonly admission: Admission;
  readonly inFlight: InFlightCalls;
  readonly accessLog: AccessLog;
}

/** A cancel this close to the deadline is the deadline's doing. */
const DEADLINE_SLACK_MS = 5;

class TrackedCall extends grpc.ServerInterceptingCall implements ListedCall, LoggedCall, InterceptingServerListener {
  messagesIn = 0;
  messagesOut = 0;
  metadata: grpc.Metadata | undefined;
  ended = false;
  readonly started = performance.now();
  older: ListedCall | undefined;
  newer: ListedCall | undefined;
  private handler: InterceptingServerListener | undefined;
  private handlerCancelled = false;

  constructor(
    readonly method: string,
    private readonly next: grpc.ServerInterceptingCallInterface,
    private readonly tracking: CallTracking,
    readonly ticket: Ticket,
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
    if (this.ticket === 'shed') return this.sendStatus(this.tracking.admission.overloaded);
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
    const { admission, inFlight, accessLog } = this.tracking;
    if (this.ticket !== 'shed') {
      admission.release(this.ticket);
      inFlight.delete(this);
    }
    accessLog.write(this, code, details);
  }

  /** A call the server ended itself (deadline) is reported to us only as a cancel. */
  private cancelledCode(): grpc.status {
    const deadline = this.next.getDeadline();
    // grpc-js's deadline timer can fire a millisecond before Date.now() reaches the deadline.
    const passed = (deadline instanceof Date ? deadline.getTime() : deadline) <= Date.now() + DEADLINE_SLACK_MS;
    return passed ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED;
  }
}

/** The interceptor, made once per server: it goes first in the server's list, nearest the wire. */
export function trackCalls(tracking: CallTracking): grpc.ServerInterceptor {
  return (methodDescriptor, next) => {
    const method = methodDescriptor.path;
    const ticket = tracking.admission.admit(method);
    const call = new TrackedCall(method, next, tracking, ticket);
    if (ticket !== 'shed') tracking.inFlight.add(call);
    return call;
  };
}
