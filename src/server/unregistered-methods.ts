// Calls to methods no service on this server has. grpc-js would answer them
// UNIMPLEMENTED before any interceptor, so that they left no access line and
// no metric; here they reach the interceptors like any other call and end with
// the same status and message grpc-js gives them. Their path is the client's
// to choose: the metrics count them all as one method (`other`, gRFC A66) and
// the access log rate-limits their lines (access-log.ts).
import * as grpc from '@grpc/grpc-js';
import { routeUnregisteredMethods, type UntypedHandler } from './call-transport.js';

const passThrough = (bytes: Buffer): Buffer => bytes;

function unimplemented(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
  call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `The server does not implement the method ${call.getPath()}` });
}

/** A handler for one call to `path` (a bidi stream: it fits every shape of request). */
function unregisteredHandler(path: string): UntypedHandler {
  return { func: unimplemented, serialize: passThrough, deserialize: passThrough, type: 'bidi', path };
}

export function answerUnregisteredMethods(server: grpc.Server): void {
  routeUnregisteredMethods(server, unregisteredHandler);
}

/** Whether the interceptor's call is to a method no service registered. */
export function isUnregistered(method: grpc.ServerMethodDefinition<unknown, unknown>): boolean {
  return method.requestDeserialize === passThrough;
}
