// The wire-level driver: gRPC framed by hand on node:http2, the short path a
// load generator needs (h2load beside curl). Each connection is one HTTP/2
// session; a session that closes (GOAWAY on a drain or max connection age) is
// reopened by the next call on it. Requests are encoded and framed once
// (per distinct request), unless templates make each call's own.
import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import { isPingPong, methodOf, requestSource, type CallMessages } from '../call/requests.js';
import { ConnectError, type LoadConnections } from '../driver.js';
import type { LoadPlan, RateShare } from '../plan.js';
import { frameMessage, repeatFrame } from './framing.js';
import { WireCall, type SessionSource, type WirePlan, type WireRequest } from './calls.js';
import { WireConnectError, wireEndpoint, type WireEndpoint } from './session.js';

/** Up to this many bytes of requests go out in one write (several messages in one DATA frame). */
const BATCH_BYTES = 16 * 1024;

type FramedMessages = Omit<WireRequest, 'headers'>;

function frameAll(call: CallMessages, gzip: boolean): FramedMessages {
  const frames = call.messages.map((message) => frameMessage(message, gzip));
  const frame = frames[0] as Buffer;
  const single = frames.length === 1;
  const batchCount = single ? Math.max(1, Math.min(call.count, Math.floor(BATCH_BYTES / frame.length))) : frames.length;
  return { frame, frames, batch: single ? repeatFrame(frame, batchCount) : Buffer.concat(frames), batchCount, messages: call.count };
}

/**
 * Turns each call's messages into a WireRequest. Messages are framed once per distinct list (templated
 * metadata alone reuses the frames); the headers are the method's own object, so that a refreshed token
 * reaches them, unless metadata is templated.
 */
function wireRequests(headers: OutgoingHttpHeaders, gzip: boolean): (call: CallMessages) => WireRequest {
  const framed = new WeakMap<readonly Buffer[], FramedMessages>();
  return (call) => {
    let messages = framed.get(call.messages);
    if (messages === undefined) {
      messages = frameAll(call, gzip);
      framed.set(call.messages, messages);
    }
    if (call.metadata.length === 0) return { headers, ...messages };
    return { headers: { ...headers, ...metadataHeaders(headers, call.metadata) }, ...messages };
  };
}

/** Rendered --metadata added to the method's headers (a key given twice sends both values). */
function metadataHeaders(base: OutgoingHttpHeaders, pairs: CallMessages['metadata']): OutgoingHttpHeaders {
  const added: OutgoingHttpHeaders = {};
  for (const [key, value] of pairs) {
    const previous = added[key] ?? base[key];
    added[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
  }
  return added;
}

function wirePlan(plan: LoadPlan, endpoint: WireEndpoint, share: RateShare): WirePlan {
  const method = methodOf(plan);
  const headers = endpoint.headers(method.path);
  const gzip = plan.connection.gzip === true;
  const { responseType } = method;
  return {
    shape: plan.shape,
    requests: requestSource(plan, method, share, wireRequests(headers, gzip)),
    pingPong: isPingPong(method),
    intervalMs: plan.intervalMs,
    deadlineMs: plan.deadlineMs,
    maxReceiveBytes: plan.connection.maxReceiveBytes ?? Infinity,
    decode: (bytes) => responseType.decode(bytes),
  };
}

/** One connection: its session, reopened on demand once it has closed. */
class WireLink implements SessionSource {
  private reopening: Promise<ClientHttp2Session> | undefined;
  private closed = false;

  constructor(
    private current: ClientHttp2Session,
    private readonly endpoint: WireEndpoint,
    private readonly connectTimeoutMs: number,
  ) {}

  session(): ClientHttp2Session | Promise<ClientHttp2Session> {
    const current = this.current;
    if (!current.closed && !current.destroyed) return current;
    this.reopening ??= this.endpoint.connect(this.connectTimeoutMs).then(
      (session) => {
        // A connection that opens after the run closed is not kept.
        if (this.closed) session.close();
        this.current = session;
        this.reopening = undefined;
        return session;
      },
      (error: unknown) => {
        this.reopening = undefined;
        throw error;
      },
    );
    return this.reopening;
  }

  close(): void {
    this.closed = true;
    this.current.close();
  }
}

export async function openWireConnections(plan: LoadPlan, share: RateShare): Promise<LoadConnections> {
  let endpoint: WireEndpoint;
  try {
    endpoint = wireEndpoint(plan.target, plan.connection, plan.deadlineMs);
  } catch (error) {
    throw new ConnectError((error as Error).message, undefined);
  }
  const shared = wirePlan(plan, endpoint, share);
  const opened = await Promise.allSettled(Array.from({ length: plan.connections }, () => endpoint.connect(plan.connectTimeoutMs)));
  const sessions = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const close = (): void => {
    sessions.forEach((session) => session.close());
    endpoint.close();
  };
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed !== undefined) {
    close();
    const error = failed.reason as Error;
    throw new ConnectError(error.message, error instanceof WireConnectError ? error.code : undefined);
  }
  try {
    await endpoint.authorize();
  } catch (error) {
    close();
    throw new ConnectError((error as Error).message, 'UNAUTHENTICATED');
  }
  const links = sessions.map((session) => new WireLink(session, endpoint, plan.connectTimeoutMs));
  return {
    caller: (slot) => new WireCall(shared, links[slot % links.length] as WireLink),
    close() {
      links.forEach((link) => link.close());
      endpoint.close();
    },
  };
}
