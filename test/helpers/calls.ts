// Small promise wrappers over the generated Greeter client, so tests read as
// specifications: what was sent, what came back, which status ended the call.
import * as grpc from '@grpc/grpc-js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';
import type { HelloRequest } from '../../src/generated/helloworld/HelloRequest.js';
import type { HelloResponse__Output } from '../../src/generated/helloworld/HelloResponse.js';

export interface Outcome<T> {
  readonly replies: T[];
  readonly status: grpc.StatusObject;
}

export function sayHello(
  client: GreeterClient,
  request: HelloRequest,
  options: grpc.CallOptions = {},
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<Outcome<HelloResponse__Output>> {
  return new Promise((resolve) => {
    let status: grpc.StatusObject | undefined;
    let reply: HelloResponse__Output | undefined;
    const done = () => status && resolve({ replies: reply ? [reply] : [], status });
    const call = client.SayHello(request, metadata, options, (error, response) => {
      reply = response;
      if (error) status ??= error;
    });
    call.on('status', (s) => {
      status = s;
      setImmediate(done);
    });
  });
}

/** Reads a server stream to its end. */
export function collect<T>(call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    const replies: T[] = [];
    call.on('data', (reply: T) => replies.push(reply));
    call.on('error', () => {});
    call.on('status', (status) => setImmediate(() => resolve({ replies, status })));
  });
}

export function lotsOfGreetings(client: GreeterClient, requests: HelloRequest[], options: grpc.CallOptions = {}): Promise<Outcome<HelloResponse__Output>> {
  return new Promise((resolve) => {
    let reply: HelloResponse__Output | undefined;
    const call = client.LotsOfGreetings(options, (_error, response) => (reply = response));
    call.on('status', (status) => setImmediate(() => resolve({ replies: reply ? [reply] : [], status })));
    for (const request of requests) call.write(request);
    call.end();
  });
}
