// A bare grpc-js Greeter on 127.0.0.1:0 whose handlers a test chooses, for what
// the project's server never does (any status with any message, metadata
// echoed, a reply of any size). It keeps every call's metadata, so tests can
// see what the load harness sent. Closed when the test ends.
import * as grpc from '@grpc/grpc-js';
import type { Test } from 'tap';
import type { GreeterHandlers } from '../../src/generated/helloworld/Greeter.js';
import { helloworld } from '../../src/proto.js';

export interface BareServer {
  readonly address: string;
  /** Every call's metadata, in the order the calls arrived. */
  readonly metadata: grpc.Metadata[];
}

const greeting = { message: 'Hello, load!', sequence: 1 };

/** Handlers that answer as the project's server does, without its checks. */
const PLAIN: GreeterHandlers = {
  SayHello: (call, callback) => callback(null, { ...greeting, payload: Buffer.alloc(call.request.response_size) }),
  LotsOfReplies(call) {
    for (let sequence = 1; sequence <= call.request.count; sequence += 1) call.write({ message: 'Hello', sequence });
    call.end();
  },
  LotsOfGreetings(call, callback) {
    let received = 0;
    call.on('data', () => (received += 1));
    call.on('end', () => callback(null, { message: 'Hello', sequence: received }));
  },
  BidiHello(call) {
    call.on('data', () => call.write(greeting));
    call.on('end', () => call.end());
  },
};

export async function startBareServer(t: Test, handlers: Partial<GreeterHandlers> = {}, options: grpc.ServerOptions = {}): Promise<BareServer> {
  const metadata: grpc.Metadata[] = [];
  const server = new grpc.Server({
    ...options,
    interceptors: [
      (methodDescriptor, call) =>
        new grpc.ServerInterceptingCall(call, {
          start: (next) =>
            next({
              onReceiveMetadata: (received, nextMetadata) => {
                metadata.push(received);
                nextMetadata(received);
              },
            }),
        }),
    ],
  });
  server.addService(helloworld.Greeter.service, { ...PLAIN, ...handlers } as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, metadata };
}
