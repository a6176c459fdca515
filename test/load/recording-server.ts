// A grpc-js grpc.testing.TestService on 127.0.0.1:0 that keeps every request
// message and every call's metadata (and when each arrived), so tests can see
// exactly what the load harness sent: UnaryCall, StreamingInputCall and
// FullDuplexCall answer at once; `holdMs` delays each UnaryCall reply. No
// reflection: a test gives --proto (or expects the harness to refuse).
import * as grpc from '@grpc/grpc-js';
import type { Test } from 'tap';
import type { SimpleRequest__Output } from '../../src/generated/grpc/testing/SimpleRequest.js';
import { interopProto, PROTO_DIR } from '../../src/proto.js';

export interface Arrival {
  readonly at: number;
  readonly request: SimpleRequest__Output;
  readonly metadata: grpc.Metadata;
  /** UnaryCalls in progress when this one arrived, itself included. */
  readonly inFlight: number;
}

export interface RecordingServer {
  readonly address: string;
  readonly unary: Arrival[];
  /** Each stream's messages (StreamingInputCall, FullDuplexCall), in order. */
  readonly streams: unknown[][];
}

/** The flags that point the harness at the interop proto. */
export const INTEROP_PROTO = ['--proto', 'grpc/testing/test.proto', '--import-paths', PROTO_DIR];

export async function startRecordingServer(t: Test, holdMs = 0): Promise<RecordingServer> {
  const unary: Arrival[] = [];
  const streams: unknown[][] = [];
  let inFlight = 0;
  const server = new grpc.Server();
  server.addService(interopProto().grpcTesting.TestService.service, {
    UnaryCall(call: grpc.ServerUnaryCall<SimpleRequest__Output, object>, callback: grpc.sendUnaryData<object>) {
      inFlight += 1;
      unary.push({ at: performance.now(), request: call.request, metadata: call.metadata, inFlight });
      setTimeout(() => {
        inFlight -= 1;
        callback(null, {});
      }, holdMs);
    },
    StreamingInputCall(call: grpc.ServerReadableStream<unknown, object>, callback: grpc.sendUnaryData<object>) {
      const messages: unknown[] = [];
      streams.push(messages);
      call.on('data', (message) => messages.push(message));
      call.on('end', () => callback(null, { aggregated_payload_size: 0 }));
    },
    FullDuplexCall(call: grpc.ServerDuplexStream<unknown, object>) {
      const messages: unknown[] = [];
      streams.push(messages);
      call.on('data', (message) => {
        messages.push(message);
        call.write({});
      });
      call.on('end', () => call.end());
    },
  } as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, unary, streams };
}
