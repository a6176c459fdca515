// The one server interceptor every call passes through. It asks admission.ts
// whether to take the call on, keeps it in the list of calls in flight
// (in-flight.ts) while it runs, tells call-bounds.ts what its replies hold, and
// has access-log.ts write its line and metrics.ts record the call when it ends,
// with the status that went on the wire (call-transport.ts), and, with tracing
// on, tracing.ts start the call's span when its metadata arrives and end it
// with that status; each of those decides for itself, this file only counts
// and wires.
//
// It runs on every call and every message, so it is built to cost little: one
// object per call (TrackedCall is at once the call the handler talks to, the
// listener the transport talks to and the node of the in-flight list; it
// implements grpc-js's call interface rather than extending
// ServerInterceptingCall, whose constructor builds a responder object that
// TrackedCall would never use), the stream found once per call, no closure per
// call or per message, and nothing built for the access line unless its level
// is on.
import type { Http2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { AccessLog, EndedBy, LoggedCall } from './access-log.js';
import { refused, type Admission, type Ticket } from './admission.js';
import type { CallBounds } from './call-bounds.js';
import type { EndedStreams } from './ended-streams.js';
import {
  connectionOf,
  heldBytes,
  queuedBytes,
  replyBytesSince,
  requestArrived,
  requestBytes,
  requestEndReceived,
  resetStream,
  sentCode,
  sentDetails,
  streamClosed,
  transportOf,
  type CallTransport,
} from './call-transport.js';
import type { InFlightCalls, ListedCall } from './in-flight.js';
import type { CallMetrics, MeteredCall, MethodSeries } from './metrics.js';
import type { PrematureResets } from './premature-resets.js';
import type { Span, Tracing } from './tracing.js';
import { isUnregistered } from './unregistered-methods.js';

type InterceptingServerListener = Parameters<grpc.ServerInterceptingCall['start']>[0];
type PartialStatus = Parameters<grpc.ServerInterceptingCall['sendStatus']>[0];

/** What every call reports to, shared by all of them. */
export interface CallTracking {
  readonly admission: Admission;
  readonly inFlight: InFlightCalls;
  readonly accessLog: AccessLog;
  /** The request timeout and the memory budget, told of every reply as it is written. */
  readonly bounds: CallBounds;
  /** Streams whose call ended before their client ended its side: reset once the status is out. */
  readonly endedStreams: EndedStreams;
  /** Counts the calls clients reset early, per connection, and closes a connection that floods them. */
  readonly prematureResets: PrematureResets;
  /** A span per call, exported over OTLP; undefined when traces are off. */
  readonly tracing: Tracing | undefined;
  /** gRPC's call metrics; undefined when metrics are off. */
  readonly metrics: CallMetrics | undefined;
}

class TrackedCall implements grpc.ServerInterceptingCallInterface, ListedCall, LoggedCall, MeteredCall, InterceptingServerListener {
  messagesIn = 0;
  messagesOut = 0;
  /** Message bytes each way, counted only when metrics are on (`series`). */
  bytesIn = 0;
  bytesOut = 0;
  metadata: grpc.Metadata | undefined;
  /** The call's span, from its metadata on, when tracing is on. */
  span: Span | undefined = undefined;
  /** A status has been sent (or the call is over): the handler's writes go nowhere. */
  ended = false;
  /** The status came through this interceptor (from the handler, the auth check or admission), not from grpc-js itself. */
  private answered = false;
  /** Logged and given back to admission and the in-flight list. */
  private finished = false;
  /** The client has ended its side of the stream: the whole request has arrived. */
  requestEnded = false;
  /** Set when the server reset the stream: what the client was told by the reset. */
  private resetStatus: { code: grpc.status; details: string } | undefined;
  /**
   * The client ended its stream before sending the request message, and grpc-js answered UNIMPLEMENTED. A
   * client that cancels (node:http2's close(), grpc-js's cancel()) sends END_STREAM just before its
   * RST_STREAM, so this is mostly a reset the server saw as an empty request.
   */
  private noRequest = false;
  readonly started = performance.now();
  older: ListedCall | undefined;
  newer: ListedCall | undefined;
  private handler: InterceptingServerListener | undefined;
  private handlerCancelled = false;
  /** The call that owns the stream (call-transport.ts): what the access line and the bounds read. */
  private readonly transport: CallTransport | undefined;
  /** The stream's connection, kept for premature-resets.ts: Node lets go of it when the stream closes. */
  private readonly session: Http2Session | undefined;

  constructor(
    readonly method: string,
    /** Named as grpc-js names it, so that call-transport.ts finds the stream through this call too. */
    private readonly nextCall: grpc.ServerInterceptingCallInterface,
    private readonly tracking: CallTracking,
    readonly ticket: Ticket,
    /** Unary and server streaming: one request message, then the end of the client's stream. */
    private readonly singleRequest: boolean,
    /** Unary: the handler starts only once the client's stream has ended. */
    private readonly unary: boolean,
    /** False for a method no service has (unregistered-methods.ts). */
    readonly registered: boolean,
    /** Where the metrics record this call; undefined when they are off. */
    private readonly series: MethodSeries | undefined,
  ) {
    this.transport = transportOf(nextCall);
    this.session = this.transport?.stream.session;
  }

  /**
   * The request has not wholly arrived: grpc-js has not delivered the end of the client's stream, nor has the
   * stream received it (grpc-js holds it back while the server's own queue is full: the request did arrive).
   */
  get awaitingRequest(): boolean {
    return this.singleRequest && !this.requestEnded && !requestEndReceived(this.transport);
  }

  heldBytes(): number {
    return heldBytes(this.transport);
  }

  connection(): Http2Session | undefined {
    return connectionOf(this.transport);
  }

  // The handler's side: what it sends goes straight to the transport, counted.
  start(listener: InterceptingServerListener): void {
    this.handler = listener;
    this.nextCall.start(this);
    // A stream reset before the call started is never reported to a listener: end the call here.
    if (streamClosed(this.transport)) this.onCancel();
  }

  sendMetadata(metadata: grpc.Metadata): void {
    this.nextCall.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    // After abort() the handler has been told to stop; anything it still writes is dropped.
    if (this.ended) return;
    if (this.tracking.bounds.spent && !this.tracking.bounds.admitWrite(this)) return;
    this.messagesOut += 1;
    const queued = this.series === undefined ? 0 : queuedBytes(this.transport);
    this.nextCall.sendMessage(message, callback);
    if (this.series !== undefined) this.bytesOut += replyBytesSince(this.transport, queued);
    // The reply is now serialized and queued on the stream: count it against the memory budget at once.
    this.tracking.bounds.noteWrite(heldBytes(this.transport));
  }

  // The access line is written once the call is over (onCancel), from the status that went on the wire.
  sendStatus(status: PartialStatus): void {
    this.ended = true;
    this.answered = true;
    if (this.messagesIn === 0 && this.requestEnded && this.singleRequest && status.code === grpc.status.UNIMPLEMENTED) {
      this.noRequest = true;
      // grpc-js says "server streaming method" for every method that takes one request.
      if (this.unary) status = { ...status, details: noRequestDetails(this.method) };
    }
    this.nextCall.sendStatus(status);
  }

  startRead(): void {
    this.nextCall.startRead();
  }

  getPeer(): string {
    return this.nextCall.getPeer();
  }

  getDeadline(): grpc.Deadline {
    return this.nextCall.getDeadline();
  }

  getHost(): string {
    return this.nextCall.getHost();
  }

  getAuthContext(): ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']> {
    return this.nextCall.getAuthContext();
  }

  getConnectionInfo(): ReturnType<grpc.ServerInterceptingCallInterface['getConnectionInfo']> {
    return this.nextCall.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<grpc.ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.nextCall.getMetricsRecorder();
  }

  // The transport's side: what arrives goes straight to the handler, counted.
  onReceiveMetadata(metadata: grpc.Metadata): void {
    if (this.tracking.tracing !== undefined) this.span = this.tracking.tracing.start(this.method, metadata, this.started);
    if (refused(this.ticket)) return this.sendStatus(this.tracking.admission.refusal(this.ticket));
    this.metadata = metadata;
    this.handler!.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.messagesIn += 1;
    if (this.series !== undefined) this.bytesIn += requestBytes(this.transport);
    this.handler!.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.requestEnded = true;
    this.handler!.onReceiveHalfClose();
  }

  /** grpc-js calls this once the call is over, whoever ended it: the stream has closed or its status is out. */
  onCancel(): void {
    this.ended = true;
    // A client still sending would keep the stream, and its slot on the connection, for ever (ended-streams.ts).
    if (!this.requestEnded) this.tracking.endedStreams.add(this.transport?.stream);
    this.finish();
    this.cancelHandler();
  }

  abort(status: { code: grpc.status; details: string }): void {
    if (this.ended) return;
    this.sendStatus({ ...status, metadata: null });
    // Tell the handler now: the transport's own cancel waits until the client has read what was written.
    this.cancelHandler();
  }

  abortAndReset(status: { code: grpc.status; details: string }, rstCode: number): void {
    if (this.finished) return;
    this.abort(status);
    // A status behind replies the client does not read would never reach it: the reset does.
    this.resetStatus = status;
    resetStream(this.transport, rstCode);
  }

  connectionClosed(status: { code: grpc.status; details: string }): void {
    if (this.finished) return;
    this.ended = true;
    this.resetStatus = status;
    this.cancelHandler();
  }

  private cancelHandler(): void {
    if (this.handlerCancelled) return;
    this.handlerCancelled = true;
    this.handler?.onCancel();
  }

  /**
   * Logs the status the client got: the one on the wire (grpc-js sends some itself: size limits, decode
   * errors, a bad grpc-timeout, the deadline), else the one our reset stood for, else the client went away:
   * CANCELLED. Calls that never got their request (resets, mostly) may be many: the access log rate-limits them.
   */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { admission, inFlight, accessLog, metrics } = this.tracking;
    if (!refused(this.ticket)) {
      admission.release(this.ticket);
      inFlight.delete(this);
    }
    // The server's reset (of the stream or the connection) is what the client got: a status queued before it
    // sat behind replies the client did not read.
    let code: grpc.status;
    let details: string | undefined;
    let endedBy: EndedBy = 'handler';
    const sent = this.resetStatus === undefined ? sentCode(this.transport) : undefined;
    if (this.resetStatus !== undefined) {
      code = this.resetStatus.code;
      details = this.resetStatus.details;
    } else if (sent === undefined) {
      code = grpc.status.CANCELLED;
      endedBy = this.endedBy(undefined);
      // The client reset the call: premature-resets.ts counts those that came before any work.
      const worked = this.messagesOut > 0 || this.messagesIn > 0 || requestArrived(this.transport);
      this.tracking.prematureResets.note(this.session, this.started, worked);
    } else {
      code = sent;
      if (code !== grpc.status.OK) {
        details = sentDetails(this.transport);
        endedBy = this.endedBy(code);
        if (this.noRequest) this.tracking.prematureResets.note(this.session, this.started, this.messagesOut > 0);
      }
    }
    accessLog.write(this, code, details, endedBy);
    if (this.series !== undefined) metrics!.end(this.series, code, this);
    if (this.span !== undefined) this.tracking.tracing?.end(this.span, code, details);
  }

  /**
   * Who ended a call that sent `code`: grpc-js sends a status without asking the interceptors when the client's
   * request is at fault (undecodable or oversize message, bad grpc-timeout or grpc-encoding), and admission
   * refuses a flood; a deadline is the client's to set, and its line is kept. No code: the client went first.
   */
  private endedBy(code: grpc.status | undefined): EndedBy {
    // A method no service has: the client named it, and may name it at any rate.
    if (refused(this.ticket) || !this.registered) return 'client';
    if (code === undefined) return this.messagesIn === 0 ? 'reset' : 'handler';
    if (this.noRequest) return 'reset';
    return !this.answered && this.messagesIn === 0 && code !== grpc.status.DEADLINE_EXCEEDED ? 'client' : 'handler';
  }
}

function noRequestDetails(method: string): string {
  return `Received no request message for unary method ${method}: send exactly one request message, then end the stream`;
}

/** The interceptor, made once per server: it goes first in the server's list, nearest the wire. */
export function trackCalls(tracking: CallTracking): grpc.ServerInterceptor {
  return (methodDescriptor, next) => {
    const method = methodDescriptor.path;
    const registered = !isUnregistered(methodDescriptor);
    const ticket = tracking.admission.admit(method);
    const singleRequest = !methodDescriptor.requestStream;
    const series = tracking.metrics?.start(method, registered);
    const call = new TrackedCall(method, next, tracking, ticket, singleRequest, singleRequest && !methodDescriptor.responseStream, registered, series);
    if (!refused(ticket)) tracking.inFlight.add(call);
    // grpc-js's type asks for its class; what it uses of an interceptor's call is the interface TrackedCall implements.
    return call as unknown as grpc.ServerInterceptingCall;
  };
}
