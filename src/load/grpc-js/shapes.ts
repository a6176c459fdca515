// One call of each of the four kinds, as the harness makes it through grpc-js
// on a generic client: requests go out as the bytes the plan encoded (the
// serializer passes them through), replies are decoded with the method's
// response type. Each call resolves to how it ended (status, messages each
// way) and never rejects, and keeps itself in its concurrency slot while it
// runs, so that a stop can cancel it.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { deadlineIn } from '../../client/connect.js';
import type { LoadPlan, Shape } from '../plan.js';
import type { CallOutcome } from '../tally.js';

/**
 * One concurrency slot's call in progress. A slot, not a Set of every call in flight: adding and deleting a
 * call per call made a long-lived Set rehash into V8's old space, where its old tables kept finished calls
 * alive into old space too (src/server/in-flight.ts says more).
 */
export interface Slot {
  call: { cancel(): void } | undefined;
}

/** One call's requests: encoded messages sent in turn, `count` in all; metadata when --metadata is templated. */
export interface GrpcRequest {
  readonly messages: readonly Buffer[];
  readonly count: number;
  readonly metadata: grpc.Metadata | undefined;
}

/** The method called: its path and how to read a reply (a reply that does not parse fails the call, INTERNAL). */
export interface GrpcMethod {
  readonly path: string;
  readonly decode: (bytes: Buffer) => unknown;
  /** bidi: each message waits for the reply to the one before (the Greeter's BidiHello), or all are sent as they can be. */
  readonly pingPong: boolean;
}

export type MakeCall = (client: grpc.Client, slot: Slot, request: GrpcRequest) => Promise<CallOutcome>;

type KindPlan = Pick<LoadPlan, 'deadlineMs' | 'intervalMs'>;

const passThrough = (bytes: Buffer): Buffer => bytes;

const outcome = (error: grpc.ServiceError | null, sent: number, received: number): CallOutcome =>
  error ? { code: error.code, details: error.details, sent, received } : { code: grpc.status.OK, details: '', sent, received };

/** grpc-js makes a fresh Metadata for a call given none; one given is merged into, so it is never shared. */
const metadataOf = (request: GrpcRequest): grpc.Metadata => request.metadata ?? new grpc.Metadata();

function unary(method: GrpcMethod, plan: KindPlan): MakeCall {
  return (client, slot, request) =>
    new Promise((resolve) => {
      slot.call = client.makeUnaryRequest(method.path, passThrough, method.decode, request.messages[0] as Buffer, metadataOf(request), { deadline: deadlineIn(plan.deadlineMs) }, (error) => {
        slot.call = undefined;
        resolve(outcome(error, 1, error ? 0 : 1));
      });
    });
}

function serverStreaming(method: GrpcMethod, plan: KindPlan): MakeCall {
  return (client, slot, request) =>
    new Promise((resolve) => {
      let received = 0;
      const call = client.makeServerStreamRequest(method.path, passThrough, method.decode, request.messages[0] as Buffer, metadataOf(request), { deadline: deadlineIn(plan.deadlineMs) });
      slot.call = call;
      call.on('data', () => (received += 1));
      call.on('error', () => {}); // the status event below carries the outcome
      call.on('status', (status: grpc.StatusObject) => {
        slot.call = undefined;
        resolve({ code: status.code, details: status.details, sent: 1, received });
      });
    });
}

interface StreamState {
  sent: number;
  ended: boolean;
}

/** Writes the stream's requests `plan.intervalMs` apart, honouring flow control, then half-closes. */
async function writeAll(call: grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, unknown>, request: GrpcRequest, plan: KindPlan, stream: StreamState): Promise<void> {
  while (stream.sent < request.count && !stream.ended) {
    // Unreferenced: a pause must not keep the process alive after the run is stopped.
    if (stream.sent > 0 && plan.intervalMs > 0) await sleep(plan.intervalMs, undefined, { ref: false });
    if (stream.ended) return;
    const message = request.messages[stream.sent % request.messages.length] as Buffer;
    stream.sent += 1;
    if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
  }
  if (!stream.ended) call.end();
}

function clientStreaming(method: GrpcMethod, plan: KindPlan): MakeCall {
  return (client, slot, request) =>
    new Promise((resolve) => {
      const stream: StreamState = { sent: 0, ended: false };
      const call = client.makeClientStreamRequest(method.path, passThrough, method.decode, metadataOf(request), { deadline: deadlineIn(plan.deadlineMs) }, (error) => {
        stream.ended = true;
        slot.call = undefined;
        resolve(outcome(error, stream.sent, error ? 0 : 1));
      });
      slot.call = call;
      void writeAll(call, request, plan, stream);
    });
}

/** Every request sent as flow control allows (--interval-ms apart), then the half-close; replies counted as they come. */
function bidiSendingAll(method: GrpcMethod, plan: KindPlan): MakeCall {
  return (client, slot, request) =>
    new Promise((resolve) => {
      const stream: StreamState = { sent: 0, ended: false };
      let received = 0;
      const call = client.makeBidiStreamRequest(method.path, passThrough, method.decode, metadataOf(request), { deadline: deadlineIn(plan.deadlineMs) });
      slot.call = call;
      call.on('data', () => (received += 1));
      call.on('error', () => {}); // the status event below carries the outcome
      call.on('status', (status: grpc.StatusObject) => {
        stream.ended = true;
        slot.call = undefined;
        resolve({ code: status.code, details: status.details, sent: stream.sent, received });
      });
      void writeAll(call, request, plan, stream);
    });
}

/** Ping-pong: each request waits for the reply to the one before, so every reply is one round trip. */
function bidiStreaming(method: GrpcMethod, plan: KindPlan): MakeCall {
  if (!method.pingPong) return bidiSendingAll(method, plan);
  return (client, slot, request) =>
    new Promise((resolve) => {
      let sent = 0;
      let received = 0;
      let ended = false;
      const call = client.makeBidiStreamRequest(method.path, passThrough, method.decode, metadataOf(request), { deadline: deadlineIn(plan.deadlineMs) });
      slot.call = call;
      const sendNext = (): void => {
        if (ended) return;
        if (sent === request.count) return void call.end();
        const message = request.messages[sent % request.messages.length] as Buffer;
        sent += 1;
        call.write(message);
      };
      call.on('data', () => {
        received += 1;
        if (plan.intervalMs > 0 && sent < request.count) setTimeout(sendNext, plan.intervalMs).unref();
        else sendNext();
      });
      call.on('error', () => {}); // the status event below carries the outcome
      call.on('status', (status: grpc.StatusObject) => {
        ended = true;
        slot.call = undefined;
        resolve({ code: status.code, details: status.details, sent, received });
      });
      sendNext();
    });
}

const KIND_CALLS: Readonly<Record<Shape, (method: GrpcMethod, plan: KindPlan) => MakeCall>> = {
  unary,
  server: serverStreaming,
  client: clientStreaming,
  bidi: bidiStreaming,
};

/** The call function for a method of kind `kind`. */
export function callFor(kind: Shape, method: GrpcMethod, plan: KindPlan): MakeCall {
  return KIND_CALLS[kind](method, plan);
}
