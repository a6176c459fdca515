// The benchmarks' baseline: a bare @grpc/grpc-js Greeter on the same proto,
// with no logging, no interceptors, no validation, no health or reflection; its
// replies carry the same text as the project's, so the bytes on the wire match.
// Usage: baseline-server.ts <port>  (listens on 127.0.0.1)
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

interface HelloRequest {
  name: string;
  count: number;
  interval_ms: number;
  response_size: number;
}

const definition = protoLoader.loadSync(fileURLToPath(new URL('../proto/helloworld.proto', import.meta.url)), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Greeter } = (grpc.loadPackageDefinition(definition) as any).helloworld as { Greeter: grpc.ServiceClientConstructor };

const filler = Buffer.alloc(1024 * 1024);
const reply = (message: string, sequence: number, size: number) => ({ message, sequence, payload: size > 0 ? filler.subarray(0, size) : undefined });

const server = new grpc.Server();
server.addService(Greeter.service, {
  SayHello(call: grpc.ServerUnaryCall<HelloRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
    callback(null, reply(`Hello, ${call.request.name}!`, 1, call.request.response_size));
  },
  LotsOfReplies(call: grpc.ServerWritableStream<HelloRequest, unknown>) {
    const { name, interval_ms: interval, response_size: size } = call.request;
    const count = call.request.count || 10;
    let sent = 0;
    const next = (): void => {
      while (!call.cancelled && sent < count) {
        sent += 1;
        // The project's text, so both servers send the same bytes per reply.
        const writable = call.write(reply(`Hello, ${name}! (${sent} of ${count})`, sent, size));
        if (sent === count) break;
        if (!writable) return void call.once('drain', next);
        if (interval > 0) return void setTimeout(next, interval);
      }
      if (!call.cancelled) call.end();
    };
    next();
  },
  LotsOfGreetings(call: grpc.ServerReadableStream<HelloRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
    let received = 0;
    call.on('data', () => (received += 1));
    call.on('end', () => callback(null, { message: `Hello! (${received} greetings received)`, sequence: received }));
  },
  BidiHello(call: grpc.ServerDuplexStream<HelloRequest, unknown>) {
    let sequence = 0;
    call.on('data', (request: HelloRequest) => {
      sequence += 1;
      call.write(reply(`Hello, ${request.name}!`, sequence, request.response_size));
    });
    call.on('end', () => call.end());
  },
});

server.bindAsync(`127.0.0.1:${process.argv[2]}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
});
process.on('SIGTERM', () => server.forceShutdown());
