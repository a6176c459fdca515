// One access line per RPC, written when the call ends: method, status code
// (the one the client received), duration, messages each way, peer, and the
// trace fields Cloud Logging links to. It is written for every call, so nothing
// is built for it unless its level is on. Calls that end before their request
// arrived (client resets, mostly) are rate-limited: see early-resets.ts.
import * as grpc from '@grpc/grpc-js';
import type { Level } from 'pino';
import type { Logger } from '../logger.js';
import { EarlyResets } from './early-resets.js';
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

/** The fields of an access line (trace fields are added when the call carries a trace). */
interface AccessLine {
  method: string;
  code: string | undefined;
  details?: string | undefined;
  duration_ms: number;
  messages_in: number;
  messages_out: number;
  peer: string;
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

export class AccessLog {
  private readonly earlyResets: EarlyResets;

  /** `project`: the Google Cloud project, which the trace field must name; without it no trace fields. */
  constructor(
    private readonly logger: Logger,
    private readonly project: string | undefined,
  ) {
    this.earlyResets = new EarlyResets(logger);
  }

  /**
   * Writes the line for `call`, which ended with `code` (and `details`, logged unless the call succeeded).
   * `unstarted`: the client went before its request arrived; such lines are INFO, and rate-limited.
   */
  write(call: LoggedCall, code: grpc.status, details: string | undefined, unstarted = false): void {
    if (unstarted && !this.earlyResets.admit(performance.now())) return;
    const level = unstarted ? 'info' : levelFor(code);
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
