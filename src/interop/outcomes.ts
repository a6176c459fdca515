// A call's outcome as one value: what came back (response or responses), the
// initial metadata and the final status, so the cases can assert on all of it.
import * as grpc from '@grpc/grpc-js';

export interface Outcome {
  /** Initial metadata from the server (empty when the call ended without any). */
  headers: grpc.Metadata;
  status: grpc.StatusObject;
}

export interface UnaryOutcome<T> extends Outcome {
  response: T | undefined;
}

export interface StreamOutcome<T> extends Outcome {
  responses: T[];
}

function outcomeOf(call: NodeJS.EventEmitter): Promise<Outcome> {
  let headers = new grpc.Metadata();
  call.on('metadata', (received: grpc.Metadata) => (headers = received));
  return new Promise((resolve) => call.on('status', (status: grpc.StatusObject) => resolve({ headers, status })));
}

/**
 * Starts a unary or client-streaming call with `start`, lets `send` write to
 * it (client streaming), and waits for its status and response.
 */
export async function unaryOutcome<T, C extends NodeJS.EventEmitter = grpc.ClientUnaryCall>(
  start: (callback: grpc.requestCallback<T>) => C,
  send?: (call: C) => void,
): Promise<UnaryOutcome<T>> {
  let response: T | undefined;
  let responded!: () => void;
  const answered = new Promise<void>((resolve) => (responded = resolve));
  const call = start((_error, value) => {
    response = value;
    responded();
  });
  const outcome = outcomeOf(call);
  send?.(call);
  await answered;
  return { ...(await outcome), response };
}

/** Collects every response of a server-streaming or duplex call until its status. */
export async function streamOutcome<T>(
  call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>,
): Promise<StreamOutcome<T>> {
  const responses: T[] = [];
  call.on('data', (response: T) => responses.push(response));
  // The status event carries the error too; this listener only keeps it from being thrown.
  call.on('error', () => {});
  return { ...(await outcomeOf(call)), responses };
}

/** Describes a status for a failure message: `UNIMPLEMENTED: <details>`. */
export function describeStatus(status: grpc.StatusObject): string {
  return `${grpc.status[status.code]}${status.details ? `: ${status.details}` : ''}`;
}
