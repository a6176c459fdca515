// What the interop suite asks a server to echo: two metadata keys and a status.
// "Echo Metadata" and "Echo Status" in gRPC's interop test descriptions.
import * as grpc from '@grpc/grpc-js';
import type { EchoStatus__Output } from '../../generated/grpc/testing/EchoStatus.js';

/** Sent back, value for value, in the response's initial metadata. */
export const ECHO_INITIAL_KEY = 'x-grpc-test-echo-initial';
/** Sent back, value for value, in the trailers (binary metadata). */
export const ECHO_TRAILING_KEY = 'x-grpc-test-echo-trailing-bin';

interface CallWithMetadata {
  readonly metadata: grpc.Metadata;
  sendMetadata(metadata: grpc.Metadata): void;
}

/** Sends the initial metadata now: `headers` plus the echoed key, when there is anything to send. */
export function sendEchoedInitialMetadata(call: CallWithMetadata, headers = new grpc.Metadata()): void {
  for (const value of call.metadata.get(ECHO_INITIAL_KEY)) headers.add(ECHO_INITIAL_KEY, value);
  if (Object.keys(headers.getMap()).length > 0) call.sendMetadata(headers);
}

/** The trailers to end the call with: the echoed binary key, if the client sent it. */
export function echoedTrailers(call: CallWithMetadata): grpc.Metadata {
  const trailers = new grpc.Metadata();
  for (const value of call.metadata.get(ECHO_TRAILING_KEY)) trailers.add(ECHO_TRAILING_KEY, value);
  return trailers;
}

/** The status the client asked for in response_status; undefined when it asked for none (unset or code 0). */
export function requestedStatus(status: EchoStatus__Output | null, trailers: grpc.Metadata): grpc.StatusObject | undefined {
  if (status === null || status.code === grpc.status.OK) return undefined;
  return { code: status.code, details: status.message, metadata: trailers };
}
