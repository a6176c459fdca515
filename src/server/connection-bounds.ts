// A bound per connection on what the server holds for a peer that does not
// read. Ending its calls frees nothing: their statuses and resets queue behind
// the replies the peer has not taken (call-transport.ts), so only the
// connection's death lets them go. call-bounds.ts's sweep tells this module
// what each connection's calls hold; a connection holding more than
// CONNECTION_SHARE of the calls' budget is destroyed (its socket reset, not a
// GOAWAY the peer would never read) when
//
// - its socket has sent nothing for STALL_MS: the peer has stopped reading; or
// - the budget is spent and its socket has sent nothing for a sweep interval:
//   waiting longer would take the process past its memory limit.
//
// One WARNING line per connection destroyed names the peer, what it held and
// why; each of its calls gets its own access line (UNAVAILABLE: what a gRPC
// client reports for a connection reset).
import type { Http2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { connectionPeer, destroyConnection, socketBacklog, socketBytesSent } from './call-transport.js';

/** A connection may hold this share of the calls' budget before it must show that its peer reads. */
export const CONNECTION_SHARE = 1 / 4;
/** Over its share, a connection whose socket sends nothing for this long is destroyed. */
export const STALL_MS = 2000;
/** Over the budget, a connection whose socket has sent nothing for this long (a sweep interval) is taken for one that does not read. */
const SWEEP_GAP_MS = 100;
const MiB = 1024 * 1024;

/** What the connection bound needs of a call: what it holds is counted by the sweep. */
export interface ConnectionCall {
  readonly method: string;
  /** The connection's end was the call's end: the client got `status` (a reset connection), told to its handler. */
  connectionClosed(status: { code: grpc.status; details: string }): void;
}

/** A connection as the sweeps have seen it. */
interface Watched {
  /** Bytes its socket had sent at the last sweep. */
  sent: number;
  /** performance.now() when its socket was last seen sending (or the connection first went over its share). */
  progressAt: number;
}

/** What one sweep found a connection's calls holding. */
interface Holding {
  bytes: number;
  readonly calls: ConnectionCall[];
}

export function connectionClosedStatus(heldBytes: number, why: string): { code: grpc.status; details: string } {
  return {
    code: grpc.status.UNAVAILABLE,
    details: `connection closed by the server: it held ${Math.round(heldBytes / MiB)} MiB of replies its client did not read (${why}); read replies promptly`,
  };
}

export class ConnectionBounds {
  private readonly shareBytes: number;
  /** Connections over their share, from one sweep to the next; forgotten when back under it or gone. */
  private readonly watched = new Map<Http2Session, Watched>();
  /** Connections destroyed (on the next turn: see destroyConnection), which their calls may outlive for a while. */
  private readonly closing = new WeakSet<Http2Session>();
  /** Connections over their share at the last sweep: while the budget is spent, their calls write no more. */
  private readonly overShare = new WeakSet<Http2Session>();
  /** Filled by note() during a sweep, emptied by settle(). */
  private holdings = new Map<Http2Session, Holding>();

  constructor(
    private readonly budgetBytes: number,
    private readonly logger: Logger,
  ) {
    this.shareBytes = Math.floor(budgetBytes * CONNECTION_SHARE);
  }

  /** During a sweep: `call`, on `connection`, holds `bytes` (> 0). */
  note(connection: Http2Session, call: ConnectionCall, bytes: number): void {
    const holding = this.holdings.get(connection);
    if (holding === undefined) this.holdings.set(connection, { bytes, calls: [call] });
    else {
      holding.bytes += bytes;
      holding.calls.push(call);
    }
  }

  /**
   * At the end of a sweep that found the calls holding `total` bytes: destroys the connections that must go, and
   * returns the bytes held on connections destroyed (which shedding calls cannot free, nor needs to).
   */
  settle(total: number, now: number): number {
    const holdings = this.holdings;
    this.holdings = new Map();
    let released = 0;
    for (const [connection, holding] of holdings) {
      // Already destroyed: what its calls hold is on its way out.
      if (this.closing.has(connection)) {
        released += holding.bytes;
        continue;
      }
      const held = holding.bytes + socketBacklog(connection);
      if (held <= this.shareBytes) {
        this.watched.delete(connection);
        this.overShare.delete(connection);
        continue;
      }
      this.overShare.add(connection);
      const sent = socketBytesSent(connection);
      let watched = this.watched.get(connection);
      if (watched === undefined) this.watched.set(connection, (watched = { sent, progressAt: now }));
      // -1: no handle to read (TLS): never taken for a stalled peer.
      else if (sent !== watched.sent || sent < 0) {
        watched.sent = sent;
        watched.progressAt = now;
      }
      const stalledMs = now - watched.progressAt;
      let why: string | undefined;
      if (stalledMs >= STALL_MS) why = `its socket sent nothing for ${Math.round(stalledMs)} ms`;
      else if (total - released > this.budgetBytes && stalledMs >= SWEEP_GAP_MS) {
        why = `the calls' memory budget of ${Math.round(this.budgetBytes / MiB)} MiB was spent and its socket sent nothing for ${Math.round(stalledMs)} ms`;
      }
      if (why === undefined) continue;
      this.close(connection, holding, held, why);
      released += holding.bytes;
    }
    // Connections no sweep found holding anything (gone, or their calls over) are forgotten.
    for (const connection of this.watched.keys()) {
      if (holdings.has(connection)) continue;
      this.watched.delete(connection);
      this.overShare.delete(connection);
    }
    return released;
  }

  /** Whether `connection` held more than its share at the last sweep (or is being destroyed). */
  isOverShare(connection: Http2Session): boolean {
    return this.overShare.has(connection) || this.closing.has(connection);
  }

  private close(connection: Http2Session, holding: Holding, held: number, why: string): void {
    const peer = connectionPeer(connection);
    this.watched.delete(connection);
    this.closing.add(connection);
    const status = connectionClosedStatus(held, why);
    for (const call of holding.calls) call.connectionClosed(status);
    destroyConnection(connection);
    const methods = [...new Set(holding.calls.map((c) => c.method))];
    this.logger.warn(
      { peer, held_bytes: held, share_bytes: this.shareBytes, calls: holding.calls.length, methods, reason: why },
      `closed the connection from ${peer}: it held ${Math.round(held / MiB)} MiB for ${holding.calls.length} calls, ` +
        `over its share of ${Math.round(this.shareBytes / MiB)} MiB, and ${why}`,
    );
  }
}
