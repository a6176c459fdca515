// Checks an interop request before any work is done for it. A request the
// server cannot honour ends the call at once with a status that says what is
// wrong and what to send instead.
import * as grpc from '@grpc/grpc-js';
import type { BoolValue__Output } from '../../generated/grpc/testing/BoolValue.js';
import type { EchoStatus__Output } from '../../generated/grpc/testing/EchoStatus.js';
import type { PayloadType__Output } from '../../generated/grpc/testing/PayloadType.js';
import type { ResponseParameters__Output } from '../../generated/grpc/testing/ResponseParameters.js';
import type { SimpleRequest__Output } from '../../generated/grpc/testing/SimpleRequest.js';
import type { StreamingInputCallRequest__Output } from '../../generated/grpc/testing/StreamingInputCallRequest.js';
import type { StreamingOutputCallRequest__Output } from '../../generated/grpc/testing/StreamingOutputCallRequest.js';

/** Largest payload body the server sends in one response (the interop cases ask for at most 314159 bytes). */
export const MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;
/** Longest wait the server accepts before one streamed response. */
export const MAX_INTERVAL_US = 60_000_000;
const MAX_STATUS_CODE = grpc.status.UNAUTHENTICATED;

/** A problem with a request: the status code and the message a person can act on. */
export type RequestProblem = { readonly code: grpc.status; readonly details: string };

function invalid(details: string): RequestProblem {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

// grpc-js 1.14 frames every message a server sends with the compressed flag unset,
// whatever the channel or call options say, so a request for compression cannot be met.
function responseCompressionUnsupported(field: string): RequestProblem {
  return {
    code: grpc.status.UNIMPLEMENTED,
    details:
      `${field}=true asks for a compressed response, which this server cannot send: grpc-js, the gRPC ` +
      `library it runs on, never compresses the messages a server sends. Leave ${field} unset or false.`,
  };
}

// grpc-js 1.14 takes grpc-encoding out of the metadata and decompresses each message
// before any interceptor or handler runs, so the server cannot tell whether a request came compressed.
const REQUEST_COMPRESSION_UNVERIFIABLE: RequestProblem = {
  code: grpc.status.UNIMPLEMENTED,
  details:
    'expect_compressed=true asks the server to check that the request arrived compressed, which this server ' +
    'cannot do: grpc-js, the gRPC library it runs on, decompresses requests before any handler or interceptor ' +
    'sees them and does not tell whether they were compressed. Leave expect_compressed unset or false.',
};

function isTrue(value: BoolValue__Output | null): boolean {
  return value?.value === true;
}

function checkPayloadType(type: PayloadType__Output): RequestProblem | undefined {
  if (type === 'COMPRESSABLE') return undefined;
  return invalid(`response_type ${String(type)} is not supported: the only payload type is COMPRESSABLE`);
}

function checkSize(field: string, size: number): RequestProblem | undefined {
  if (size >= 0 && size <= MAX_PAYLOAD_BYTES) return undefined;
  return invalid(`${field} is ${size}; it must be from 0 to ${MAX_PAYLOAD_BYTES} bytes`);
}

function checkStatus(status: EchoStatus__Output | null): RequestProblem | undefined {
  if (status === null || (status.code >= 0 && status.code <= MAX_STATUS_CODE)) return undefined;
  return invalid(`response_status.code is ${status.code}; a gRPC status code is from 0 to ${MAX_STATUS_CODE}`);
}

function checkParameters(parameters: readonly ResponseParameters__Output[]): RequestProblem | undefined {
  for (const [index, { size, interval_us, compressed }] of parameters.entries()) {
    const field = `response_parameters[${index}]`;
    const problem = checkSize(`${field}.size`, size);
    if (problem) return problem;
    if (interval_us < 0 || interval_us > MAX_INTERVAL_US) {
      return invalid(`${field}.interval_us is ${interval_us}; it must be from 0 to ${MAX_INTERVAL_US} microseconds`);
    }
    if (isTrue(compressed)) return responseCompressionUnsupported(`${field}.compressed`);
  }
  return undefined;
}

export function checkSimpleRequest(request: SimpleRequest__Output): RequestProblem | undefined {
  if (isTrue(request.expect_compressed)) return REQUEST_COMPRESSION_UNVERIFIABLE;
  if (isTrue(request.response_compressed)) return responseCompressionUnsupported('response_compressed');
  return (
    checkPayloadType(request.response_type) ??
    checkSize('response_size', request.response_size) ??
    checkStatus(request.response_status)
  );
}

export function checkStreamingInputRequest(request: StreamingInputCallRequest__Output): RequestProblem | undefined {
  return isTrue(request.expect_compressed) ? REQUEST_COMPRESSION_UNVERIFIABLE : undefined;
}

export function checkStreamingOutputRequest(request: StreamingOutputCallRequest__Output): RequestProblem | undefined {
  return (
    checkPayloadType(request.response_type) ??
    checkParameters(request.response_parameters) ??
    checkStatus(request.response_status)
  );
}
