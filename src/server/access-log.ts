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
// before their request arrived (client resets, mostly) and calls to methods the
// server does not have are rate-limited: see early-resets.ts.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import type { Logger } from '../logger.js';
import { EarlyResets } from './early-resets.js';
import { traceFields } from './trace.js';

type ConnectionInfo = ReturnType<grpc.ServerInterceptingCall['getConnectionInfo']>;

/** What the access line reads from a call (calls.ts keeps it as the call runs). */
export interface LoggedCall {
  readonly method: string;
  /** False for a method no service has: the client chose its name. */
  readonly registered: boolean;
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

/** Severity per status code, as go-grpc-middleware's logging interceptor grades them. */
export function levelFor(code: grpc.status): Level {
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
  private readonly earlyResets: EarlyResets;
  private readonly unregisteredCalls: EarlyResets;
  /**
   * Per method, per status code and counts (code × COUNTS + counts): made on first use. Only the methods the server
   * registers are kept (a client names any other), and each has a few codes: this stays small.
   */
  private readonly bound = new Map<string, BoundLines[]>();

  /** `project`: the Google Cloud project, which the trace field must name; without it no trace fields. */
  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
  ) {
    this.earlyResets = new EarlyResets(logger);
    this.unregisteredCalls = new EarlyResets(logger, {
      what: 'calls to methods this server does not have',
      hint: 'check the clients for a wrong service or method name, or a proto the server does not serve',
    });
  }

  /**
   * Writes the line for `call`, which ended with `code` (and `details`, logged unless the call succeeded).
   * `unstarted`: the client went before its request arrived; such lines are INFO, and rate-limited.
   */
  write(call: LoggedCall, code: grpc.status, details: string | undefined, unstarted = false): void {
    const limiter = unstarted ? this.earlyResets : call.registered ? undefined : this.unregisteredCalls;
    if (limiter !== undefined && !limiter.admit(performance.now())) return;
    const level = unstarted ? 'info' : levelFor(code);
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
    const { logger, messagePrefix } = call.registered ? this.linesOf(call.method, code, counts) : boundLines(this.logger, call.method, code, counts);
    logger[level](entry, `${messagePrefix}${durationMs}ms`);
  }

  private linesOf(method: string, code: grpc.status, counts: Counts): BoundLines {
    let byCode = this.bound.get(method);
    if (byCode === undefined) this.bound.set(method, (byCode = []));
    return (byCode[code * COUNTS + counts] ??= boundLines(this.logger, method, code, counts));
  }
}
