// The wire-level driver: gRPC framed by hand on node:http2, the short path a
// load generator needs (h2load beside curl). Each connection is one HTTP/2
// session; a session that closes (GOAWAY on a drain or max connection age) is
// reopened by the next call on it. The request is encoded and framed once.
import type { ClientHttp2Session } from 'node:http2';
import { packageDefinition, GREETER_SERVICE } from '../../proto.js';
import type { HelloRequest } from '../../generated/helloworld/HelloRequest.js';
import { ConnectError, type LoadConnections } from '../driver.js';
import { requestFor, type LoadPlan, type Shape } from '../plan.js';
import { frameMessage, repeatFrame } from './framing.js';
import { WireCall, type SessionSource, type WirePlan } from './calls.js';
import { WireConnectError, wireEndpoint, type WireEndpoint } from './session.js';

const METHODS: Readonly<Record<Shape, string>> = {
  unary: 'SayHello',
  server: 'LotsOfReplies',
  client: 'LotsOfGreetings',
  bidi: 'BidiHello',
};

interface MethodCodec {
  readonly path: string;
  readonly requestSerialize: (request: HelloRequest) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
}

/** Up to this many bytes of requests go out in one write (several messages in one DATA frame). */
const BATCH_BYTES = 16 * 1024;

function wirePlan(plan: LoadPlan, endpoint: WireEndpoint): WirePlan {
  const codec = (packageDefinition[GREETER_SERVICE] as unknown as Record<string, MethodCodec>)[METHODS[plan.shape]] as MethodCodec;
  const frame = frameMessage(codec.requestSerialize(requestFor(plan)), plan.connection.gzip === true);
  const batchCount = Math.max(1, Math.min(plan.messages, Math.floor(BATCH_BYTES / frame.length)));
  return {
    shape: plan.shape,
    headers: endpoint.headers(codec.path),
    frame,
    batch: repeatFrame(frame, batchCount),
    batchCount,
    messages: plan.messages,
    intervalMs: plan.intervalMs,
    deadlineMs: plan.deadlineMs,
    decode: codec.responseDeserialize,
  };
}

/** One connection: its session, reopened on demand once it has closed. */
class WireLink implements SessionSource {
  private reopening: Promise<ClientHttp2Session> | undefined;

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
    this.current.close();
  }
}

export async function openWireConnections(plan: LoadPlan): Promise<LoadConnections> {
  let endpoint: WireEndpoint;
  try {
    endpoint = wireEndpoint(plan.target, plan.connection, plan.deadlineMs);
  } catch (error) {
    throw new ConnectError((error as Error).message, undefined);
  }
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
  const shared = wirePlan(plan, endpoint);
  return {
    caller: (slot) => new WireCall(shared, links[slot % links.length] as WireLink),
    close() {
      links.forEach((link) => link.close());
      endpoint.close();
    },
  };
}
