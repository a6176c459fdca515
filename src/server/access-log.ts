// One access line per RPC, written when the call ends: method, status code
// (the one the client received), duration, messages each way, peer, and the
// trace fields Cloud Logging links to. It is written for every call, so nothing
// is built for it unless its level is on, and it is serialized by this file
// (log-line.ts writes it as the logger's line, to the logger's destination):
// pino's walk of a merging object per line cost the unary target more than it
// could spare. What repeats is serialized once: the method and the code, the
// first fields of the line, and the message counts when each is 0 or 1, as on
// every unary call and at one end of every streaming one, are made into JSON by
// pino (a child logger's bindings) the first time a method ends with a code. The
// rest of the line is a few numbers and the peer, escaped only where a character
// needs it. Calls that end before their handler for what the client alone did
// (resets, refusals, requests grpc-js could not take) are rate-limited per
// client: see client-lines.ts. With tracing on, the trace fields name
// the call's own span when it is sampled (exported), else the caller's, as with
// tracing off.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import { jsonFields, jsonString, LineWriter } from '../log-line.js';
import type { Logger } from '../logger.js';
import { ClientLines } from './client-lines.js';
import type { Span } from '@opentelemetry/api';
import { sampledSpan, spanTraceFields, traceFields, type TraceFields } from './trace.js';

type ConnectionInfo = ReturnType<grpc.ServerInterceptingCall['getConnectionInfo']>;

/** What the access line reads from a call (calls.ts keeps it as the call runs). */
export interface LoggedCall {
  readonly method: string;
  /** False for a method no service registers (unregistered-methods.ts). */
  readonly registered: boolean;
  /** performance.now() when the call arrived. */
  readonly started: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** The request metadata, once it has arrived. */
  readonly metadata: grpc.Metadata | undefined;
  /** The call's own span when tracing is on: the line names it, so Cloud Logging shows the two together. */
  readonly span: Span | undefined;
  getConnectionInfo(): ConnectionInfo;
}

/**
 * Who ended a call, for its line's severity and rate: its handler or the server (`handler`: every such call gets
 * its line); the client, gone before its request arrived (`reset`: INFO); the client's own request or flood, ended
 * before a handler (`client`: WARNING at most, since the fault is the client's). `reset` and `client` lines are
 * rate-limited per client.
 */
export type EndedBy = 'handler' | 'reset' | 'client';

/**
 * Severity per status code, as go-grpc-middleware's logging interceptor grades them; a call the client ended by
 * itself is never an ERROR (nothing is wrong with the server) and a reset is INFO.
 */
export function levelFor(code: grpc.status, endedBy: EndedBy = 'handler'): Level {
  if (endedBy === 'reset') return 'info';
  const level = serverLevelFor(code);
  return endedBy === 'client' && level === 'error' ? 'warn' : level;
}

/** Severity per status code, as go-grpc-middleware's logging interceptor grades them. */
function serverLevelFor(code: grpc.status): Level {
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

/**
 * What call.getPeer() says, from the addresses grpc-js already read when the call arrived; getPeer() reads
 * them again through the HTTP/2 session's socket proxy, about a tenth of the access line's cost in a CPU
 * profile.
 */
function peerOf({ remoteAddress, remotePort }: ConnectionInfo): string {
  if (!remoteAddress) return 'unknown';
  return remotePort ? `${remoteAddress}:${remotePort}` : remoteAddress;
}

/** What every line of one method, status code and, where they are bound, message counts shares. */
interface BoundLines {
  /** The line's first fields: the logger's bindings, method and code, then the counts if bound. */
  readonly bindings: string;
  /** The start of the line's message: "<method> <code> ". */
  readonly message: string;
  /**
   * `,"message":"<method> <code> `, when no escape changes the message, whatever its length (see PLAIN): the
   * duration and `ms"` complete it. So it is for every method a service registers.
   */
  readonly messageStart: string | undefined;
}

/**
 * Which counts a line's bindings carry: 0–3 for messages in and out each 0 or 1 (in × 2 + out), UNBOUND for any
 * other counts, which the line carries itself.
 */
type Counts = 0 | 1 | 2 | 3 | typeof UNBOUND;
const UNBOUND = 4;
/** How many kinds of Counts there are: the bound lines of a method are indexed by code × COUNTS + counts. */
const COUNTS = UNBOUND + 1;

function countsOf(messagesIn: number, messagesOut: number): Counts {
  return messagesIn <= 1 && messagesOut <= 1 ? ((messagesIn * 2 + messagesOut) as Counts) : UNBOUND;
}

/** Characters that every JSON escape pino may use (see jsonString) leaves as they are. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]*$/;

function boundLines(lines: LineWriter, method: string, code: grpc.status, counts: Counts): BoundLines {
  const codeName = grpc.status[code];
  // The fields pino puts right after the time, where these go.
  const bindings =
    counts === UNBOUND
      ? { method, code: codeName }
      : { method, code: codeName, messages_in: counts >> 1, messages_out: counts & 1 };
  const message = `${method} ${codeName} `;
  return {
    bindings: lines.bindings(bindings),
    message,
    messageStart: PLAIN.test(message) ? `${lines.messageKey}"${message}` : undefined,
  };
}

export class AccessLog {
  /** The limit on lines a client causes by itself; also for other such lines than access lines. */
  readonly clientLines: ClientLines;
  /**
   * Per method, per status code and counts (code × COUNTS + counts): made on first use. Only the methods the server
   * registers are kept (a client names any other), and each has a few codes: this stays small.
   */
  private readonly bound = new Map<string, BoundLines[]>();
  private readonly lines: LineWriter;

  /** `project`: the Google Cloud project, which the trace field must name; without it no trace fields. */
  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
  ) {
    this.clientLines = new ClientLines(logger);
    this.lines = new LineWriter(logger);
  }

  /**
   * Writes the line for `call`, which ended with `code` (and `details`, logged unless the call succeeded), ended
   * by `endedBy`; lines a client caused by itself are rate-limited per client.
   */
  write(call: LoggedCall, code: grpc.status, details: string | undefined, endedBy: EndedBy = 'handler'): void {
    if (endedBy !== 'handler' && !this.clientLines.admit(call.getConnectionInfo().remoteAddress || 'unknown', performance.now())) return;
    const level = levelFor(code, endedBy);
    if (!this.logger.isLevelEnabled(level)) return;
    // As a string once: it goes into the line twice.
    const durationMs = `${Math.round((performance.now() - call.started) * 1000) / 1000}`;
    const counts = countsOf(call.messagesIn, call.messagesOut);
    // A method no service registers is the client's to name: its line is built each time, never kept.
    const { bindings, message, messageStart } = call.registered ? this.linesOf(call.method, code, counts) : boundLines(this.lines, call.method, code, counts);
    let fields =
      counts === UNBOUND
        ? `${bindings},"messages_in":${call.messagesIn},"messages_out":${call.messagesOut},"duration_ms":${durationMs}`
        : `${bindings},"duration_ms":${durationMs}`;
    fields += `,"peer":${jsonString(peerOf(call.getConnectionInfo()))}`;
    if (code !== grpc.status.OK && details !== undefined) fields += `,"details":${jsonString(details)}`;
    const trace = this.traceOf(call);
    if (trace !== undefined) fields += jsonFields(trace);
    fields +=
      messageStart !== undefined ? `${messageStart}${durationMs}ms"` : `${this.lines.messageKey}${jsonString(`${message}${durationMs}ms`)}`;
    this.lines.write(level, fields);
  }

  /** The call's trace fields: its own span's when sampled, else from its trace headers; written after the status details. */
  private traceOf({ metadata, span }: LoggedCall): TraceFields | undefined {
    if (this.project === undefined) return undefined;
    const sampled = span === undefined ? undefined : sampledSpan(span);
    if (sampled !== undefined) return spanTraceFields(this.project, sampled);
    if (metadata === undefined) return undefined;
    return traceFields(
      this.project,
      metadata.get('traceparent')[0] as string | undefined,
      metadata.get('x-cloud-trace-context')[0] as string | undefined,
    );
  }

  private linesOf(method: string, code: grpc.status, counts: Counts): BoundLines {
    let byCode = this.bound.get(method);
    if (byCode === undefined) this.bound.set(method, (byCode = []));
    return (byCode[code * COUNTS + counts] ??= boundLines(this.lines, method, code, counts));
  }
}
