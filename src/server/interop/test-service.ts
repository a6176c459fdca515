// grpc.testing.TestService, the service gRPC's interop clients call, one
// function per RPC. Every handler echoes x-grpc-test-echo-initial at once and
// x-grpc-test-echo-trailing-bin in its trailers, whatever the outcome. See
// "Server" in gRPC's doc/interop-test-descriptions.md.
import * as grpc from '@grpc/grpc-js';
import type { Empty, Empty__Output } from '../../generated/grpc/testing/Empty.js';
import type { SimpleRequest__Output } from '../../generated/grpc/testing/SimpleRequest.js';
import type { SimpleResponse } from '../../generated/grpc/testing/SimpleResponse.js';
import type { StreamingInputCallRequest__Output } from '../../generated/grpc/testing/StreamingInputCallRequest.js';
import type { StreamingInputCallResponse } from '../../generated/grpc/testing/StreamingInputCallResponse.js';
import type { StreamingOutputCallRequest__Output } from '../../generated/grpc/testing/StreamingOutputCallRequest.js';
import type { StreamingOutputCallResponse } from '../../generated/grpc/testing/StreamingOutputCallResponse.js';
import type { TestServiceHandlers } from '../../generated/grpc/testing/TestService.js';
import { streamingDisabledStatus } from '../streaming.js';
import { echoedTrailers, requestedStatus, sendEchoedInitialMetadata } from './echo.js';
import { zeroPayload } from './payload.js';
import {
  checkSimpleRequest,
  checkStreamingInputRequest,
  checkStreamingOutputRequest,
  type RequestProblem,
} from './requests.js';
import { ResponseStream } from './response-stream.js';

/**
 * Every TestService method but UnimplementedCall: the interop suite checks that
 * it answers UNIMPLEMENTED, which grpc-js does for a method given no handler.
 */
export type TestServiceImplementation = Pick<
  TestServiceHandlers,
  | 'EmptyCall'
  | 'UnaryCall'
  | 'CacheableUnaryCall'
  | 'StreamingOutputCall'
  | 'StreamingInputCall'
  | 'FullDuplexCall'
  | 'HalfDuplexCall'
>;

/** HalfDuplexCall holds its requests until the half-close; this bounds the memory one call can take. */
export const MAX_HALF_DUPLEX_REQUESTS = 1000;

const TOO_MANY_REQUESTS: RequestProblem = {
  code: grpc.status.RESOURCE_EXHAUSTED,
  details:
    `HalfDuplexCall holds at most ${MAX_HALF_DUPLEX_REQUESTS} requests until the client half-closes; ` +
    'send fewer, or use FullDuplexCall',
};

/** How long a caching proxy may keep a CacheableUnaryCall response. */
const CACHE_CONTROL = 'max-age=60, public';

function failure(problem: RequestProblem, trailers: grpc.Metadata, message?: number): grpc.StatusObject {
  const details = message === undefined ? problem.details : `message ${message}: ${problem.details}`;
  return { code: problem.code, details, metadata: trailers };
}

export function emptyCall(call: grpc.ServerUnaryCall<Empty__Output, Empty>, callback: grpc.sendUnaryData<Empty>): void {
  sendEchoedInitialMetadata(call);
  callback(null, {}, echoedTrailers(call));
}

export function unaryCall(
  call: grpc.ServerUnaryCall<SimpleRequest__Output, SimpleResponse>,
  callback: grpc.sendUnaryData<SimpleResponse>,
): void {
  sendEchoedInitialMetadata(call);
  const trailers = echoedTrailers(call);
  const { request } = call;
  const problem = checkSimpleRequest(request);
  if (problem) return callback(failure(problem, trailers));
  const status = requestedStatus(request.response_status, trailers);
  if (status) return callback(status);
  callback(null, { payload: zeroPayload(request.response_size) }, trailers);
}

/** A response that differs on every call (the time in nanoseconds), with headers that let a proxy cache it. */
export function cacheableUnaryCall(
  call: grpc.ServerUnaryCall<SimpleRequest__Output, SimpleResponse>,
  callback: grpc.sendUnaryData<SimpleResponse>,
): void {
  const headers = new grpc.Metadata();
  headers.set('cache-control', CACHE_CONTROL);
  sendEchoedInitialMetadata(call, headers);
  const now = String(BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n));
  callback(null, { payload: { type: 'COMPRESSABLE', body: Buffer.from(now) } }, echoedTrailers(call));
}

export function streamingOutputCall(
  call: grpc.ServerWritableStream<StreamingOutputCallRequest__Output, StreamingOutputCallResponse>,
): void {
  sendEchoedInitialMetadata(call);
  const trailers = echoedTrailers(call);
  const responses = new ResponseStream(call);
  const { request } = call;
  const problem = checkStreamingOutputRequest(request);
  if (problem) return responses.fail(failure(problem, trailers));
  const status = requestedStatus(request.response_status, trailers);
  if (status) return responses.fail(status);
  responses.send(request.response_parameters);
  responses.end(trailers);
}

export function streamingInputCall(
  call: grpc.ServerReadableStream<StreamingInputCallRequest__Output, StreamingInputCallResponse>,
  callback: grpc.sendUnaryData<StreamingInputCallResponse>,
): void {
  sendEchoedInitialMetadata(call);
  const trailers = echoedTrailers(call);
  let received = 0;
  let aggregatedSize = 0;
  const onData = (request: StreamingInputCallRequest__Output): void => {
    received += 1;
    const problem = checkStreamingInputRequest(request);
    if (problem) {
      call.off('data', onData).off('end', onEnd);
      return callback(failure(problem, trailers, received));
    }
    aggregatedSize += request.payload?.body.length ?? 0;
  };
  const onEnd = (): void => callback(null, { aggregated_payload_size: aggregatedSize }, trailers);
  call.on('data', onData).on('end', onEnd);
}

/** Answers each request as it arrives; ends with OK once the client half-closes and every response is sent. */
export function fullDuplexCall(
  call: grpc.ServerDuplexStream<StreamingOutputCallRequest__Output, StreamingOutputCallResponse>,
): void {
  sendEchoedInitialMetadata(call);
  const trailers = echoedTrailers(call);
  const responses = new ResponseStream(call, call);
  let received = 0;
  const onData = (request: StreamingOutputCallRequest__Output): void => {
    received += 1;
    const problem = checkStreamingOutputRequest(request);
    const status = problem ? failure(problem, trailers, received) : requestedStatus(request.response_status, trailers);
    if (status) {
      call.off('data', onData).off('end', onEnd);
      return responses.fail(status);
    }
    responses.send(request.response_parameters);
  };
  const onEnd = (): void => responses.end(trailers);
  call.on('data', onData).on('end', onEnd);
}

/** Reads every request first, then answers them in order. */
export function halfDuplexCall(
  call: grpc.ServerDuplexStream<StreamingOutputCallRequest__Output, StreamingOutputCallResponse>,
): void {
  sendEchoedInitialMetadata(call);
  const trailers = echoedTrailers(call);
  const responses = new ResponseStream(call);
  const requests: StreamingOutputCallRequest__Output[] = [];
  const onData = (request: StreamingOutputCallRequest__Output): void => {
    const problem = requests.length < MAX_HALF_DUPLEX_REQUESTS ? checkStreamingOutputRequest(request) : TOO_MANY_REQUESTS;
    const status = problem ? failure(problem, trailers, requests.length + 1) : requestedStatus(request.response_status, trailers);
    if (status) {
      call.off('data', onData).off('end', onEnd);
      return responses.fail(status);
    }
    requests.push(request);
  };
  const onEnd = (): void => {
    for (const request of requests) responses.send(request.response_parameters);
    responses.end(trailers);
  };
  call.on('data', onData).on('end', onEnd);
}

/** TestService's handlers; with streaming off the four streaming RPCs end at once with UNIMPLEMENTED. */
export function testServiceHandlers(streaming: boolean): TestServiceImplementation {
  const unary = { EmptyCall: emptyCall, UnaryCall: unaryCall, CacheableUnaryCall: cacheableUnaryCall };
  if (streaming) {
    return {
      ...unary,
      StreamingOutputCall: streamingOutputCall,
      StreamingInputCall: streamingInputCall,
      FullDuplexCall: fullDuplexCall,
      HalfDuplexCall: halfDuplexCall,
    };
  }
  return {
    ...unary,
    StreamingOutputCall: (call) => void call.emit('error', streamingDisabledStatus('StreamingOutputCall')),
    StreamingInputCall: (_call, callback) => callback(streamingDisabledStatus('StreamingInputCall')),
    FullDuplexCall: (call) => void call.emit('error', streamingDisabledStatus('FullDuplexCall')),
    HalfDuplexCall: (call) => void call.emit('error', streamingDisabledStatus('HalfDuplexCall')),
  };
}
