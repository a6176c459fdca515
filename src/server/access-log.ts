// One access line per RPC, written when the call ends: method, status code
// (the one the client received), duration, messages each way, peer, and the
// trace fields Cloud Logging links to. It is written for every call, so nothing
// is built for it unless its level is on, and what repeats is serialized once:
// the method and the code, the first fields of the line, are a pino child
// logger's bindings, which pino turns into JSON when the child is made, not for
// every line (at saturation the line's allocations cost more than its CPU: every
// byte allocated brings the next young-generation GC nearer). So are the message
// counts when each is 0 or 1, as on every unary call and at one end of every
// streaming one: they come right after the code on every line. Calls that end
// before their handler for what the client alone did (resets, refusals,
// requests grpc-js could not take) are rate-limited per client: see
// client-lines.ts.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import type { Logger } from '../logger.js';
import { ClientLines } from './client-lines.js';
import { traceFields } from './trace.js';

type ConnectionInfo = ReturnType<grpc.ServerInterceptingCall['getConnectionInfo']>;

/** What the access line reads from a call (calls.ts keeps it as the call runs). */
export interface LoggedCall {
  readonly method: string;
  /** performance.now() when the call arrived. */
  readonly started: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** The request metadata, once it has arrived. */
  readonly metadata: grpc.Metadata | undefined;
  getConnectionInfo(): ConnectionInfo;
}

/**
 * The fields of an access line after method and code, and after the message counts when those are bound (trace
 * fields are added when the call carries a trace).
 */
interface AccessLine {
  messages_in?: number;
  messages_out?: number;
  duration_ms: number;
  peer: string;
  details?: string | undefined;
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
  /** A child logger whose bindings are the line's first fields: method and code, then the counts if bound. */
  readonly logger: Logger;
  /** The start of the line's message: "<method> <code> ". */
  readonly messagePrefix: string;
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

function boundLines(logger: Logger, method: string, code: grpc.status, counts: Counts): BoundLines {
  const codeName = grpc.status[code];
  // pino puts a child's bindings right after the time, where these fields go.
  const bindings =
    counts === UNBOUND
      ? { method, code: codeName }
      : { method, code: codeName, messages_in: counts >> 1, messages_out: counts & 1 };
  return { logger: logger.child(bindings), messagePrefix: `${method} ${codeName} ` };
}

export class AccessLog {
  /** The limit on lines a client causes by itself; also for other such lines than access lines. */
  readonly clientLines: ClientLines;
  /**
   * Per method, per status code and counts (code × COUNTS + counts): made on first use. Only the methods the server
   * serves reach its interceptors (grpc-js answers any other path itself), and each has a few codes: this stays small.
   */
  private readonly bound = new Map<string, BoundLines[]>();

  /** `project`: the Google Cloud project, which the trace field must name; without it no trace fields. */
  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
  ) {
    this.clientLines = new ClientLines(logger);
  }

  /**
   * Writes the line for `call`, which ended with `code` (and `details`, logged unless the call succeeded), ended
   * by `endedBy`; lines a client caused by itself are rate-limited per client.
   */
  write(call: LoggedCall, code: grpc.status, details: string | undefined, endedBy: EndedBy = 'handler'): void {
    if (endedBy !== 'handler' && !this.clientLines.admit(call.getConnectionInfo().remoteAddress || 'unknown', performance.now())) return;
    const level = levelFor(code, endedBy);
    if (!this.logger.isLevelEnabled(level)) return;
    const durationMs = Math.round((performance.now() - call.started) * 1000) / 1000;
    const counts = countsOf(call.messagesIn, call.messagesOut);
    const peer = peerOf(call.getConnectionInfo());
    const entry: AccessLine =
      counts === UNBOUND
        ? { messages_in: call.messagesIn, messages_out: call.messagesOut, duration_ms: durationMs, peer }
        : { duration_ms: durationMs, peer };
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
    const { logger, messagePrefix } = this.linesOf(call.method, code, counts);
    logger[level](entry, `${messagePrefix}${durationMs}ms`);
  }

  private linesOf(method: string, code: grpc.status, counts: Counts): BoundLines {
    let byCode = this.bound.get(method);
    if (byCode === undefined) this.bound.set(method, (byCode = []));
    return (byCode[code * COUNTS + counts] ??= boundLines(this.logger, method, code, counts));
  }
}
