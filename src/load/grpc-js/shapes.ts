// One call of each of the four shapes, as the harness makes it: each resolves
// to how the call ended (status, messages each way) and never rejects, and
// each keeps itself in its concurrency slot while it runs, so that a stop can cancel it.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { deadlineIn } from '../../client/connect.js';
import type { GreeterClient } from '../../generated/helloworld/Greeter.js';
import type { HelloRequest } from '../../generated/helloworld/HelloRequest.js';
import { requestFor, type LoadPlan, type Shape } from '../plan.js';
import type { CallOutcome } from '../tally.js';

/**
 * One concurrency slot's call in progress. A slot, not a Set of every call in flight: adding and deleting a
 * call per call made a long-lived Set rehash into V8's old space, where its old tables kept finished calls
 * alive into old space too (src/server/in-flight.ts says more).
 */
export interface Slot {
  call: { cancel(): void } | undefined;
}
export type MakeCall = (client: GreeterClient, slot: Slot) => Promise<CallOutcome>;

type ShapePlan = Pick<LoadPlan, 'shape' | 'deadlineMs' | 'messages' | 'intervalMs' | 'replies' | 'payloadBytes'>;

const outcome = (error: grpc.ServiceError | null, sent: number, received: number): CallOutcome =>
  error ? { code: error.code, details: error.details, sent, received } : { code: grpc.status.OK, details: '', sent, received };

function unary(request: HelloRequest, plan: ShapePlan): MakeCall {
  return (client, slot) =>
    new Promise((resolve) => {
      slot.call = client.SayHello(request, { deadline: deadlineIn(plan.deadlineMs) }, (error) => {
        slot.call = undefined;
        resolve(outcome(error, 1, error ? 0 : 1));
      });
    });
}

function serverStreaming(request: HelloRequest, plan: ShapePlan): MakeCall {
  return (client, slot) =>
    new Promise((resolve) => {
      let received = 0;
      const call = client.LotsOfReplies(request, { deadline: deadlineIn(plan.deadlineMs) });
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

/** Writes `plan.messages` requests `plan.intervalMs` apart, honouring flow control, then half-closes. */
async function writeAll(call: grpc.ClientWritableStream<HelloRequest>, request: HelloRequest, plan: ShapePlan, stream: StreamState): Promise<void> {
  while (stream.sent < plan.messages && !stream.ended) {
    // Unreferenced: a pause must not keep the process alive after the run is stopped.
    if (stream.sent > 0 && plan.intervalMs > 0) await sleep(plan.intervalMs, undefined, { ref: false });
    if (stream.ended) return;
    stream.sent += 1;
    if (!call.write(request)) await new Promise((resolve) => call.once('drain', resolve));
  }
  if (!stream.ended) call.end();
}

function clientStreaming(request: HelloRequest, plan: ShapePlan): MakeCall {
  return (client, slot) =>
    new Promise((resolve) => {
      const stream: StreamState = { sent: 0, ended: false };
      const call = client.LotsOfGreetings({ deadline: deadlineIn(plan.deadlineMs) }, (error) => {
        stream.ended = true;
        slot.call = undefined;
        resolve(outcome(error, stream.sent, error ? 0 : 1));
      });
      slot.call = call;
      void writeAll(call, request, plan, stream);
    });
}

/** Ping-pong: each request waits for the reply to the one before, so every reply is one round trip. */
function bidiStreaming(request: HelloRequest, plan: ShapePlan): MakeCall {
  return (client, slot) =>
    new Promise((resolve) => {
      let sent = 0;
      let received = 0;
      let ended = false;
      const call = client.BidiHello({ deadline: deadlineIn(plan.deadlineMs) });
      slot.call = call;
      const sendNext = (): void => {
        if (ended) return;
        if (sent === plan.messages) return void call.end();
        sent += 1;
        call.write(request);
      };
      call.on('data', () => {
        received += 1;
        if (plan.intervalMs > 0 && sent < plan.messages) setTimeout(sendNext, plan.intervalMs).unref();
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

const SHAPE_CALLS: Readonly<Record<Shape, (request: HelloRequest, plan: ShapePlan) => MakeCall>> = {
  unary,
  server: serverStreaming,
  client: clientStreaming,
  bidi: bidiStreaming,
};

/** The call function for the plan's shape; every call sends the same request (built once). */
export function callFor(shape: Shape, plan: ShapePlan): MakeCall {
  return SHAPE_CALLS[shape](requestFor(plan), plan);
}
