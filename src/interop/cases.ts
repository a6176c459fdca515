// gRPC's interop test cases, one function each, named and run as gRPC's
// doc/interop-test-descriptions.md describes them. Each resolves when the
// case passes and throws an InteropFailure that says what differed when not.
import * as grpc from '@grpc/grpc-js';
import { deadlineIn } from '../client/connect.js';
import type { Payload__Output } from '../generated/grpc/testing/Payload.js';
import type { SimpleRequest } from '../generated/grpc/testing/SimpleRequest.js';
import type { SimpleResponse__Output } from '../generated/grpc/testing/SimpleResponse.js';
import type { StreamingInputCallRequest } from '../generated/grpc/testing/StreamingInputCallRequest.js';
import type { StreamingInputCallResponse__Output } from '../generated/grpc/testing/StreamingInputCallResponse.js';
import type { StreamingOutputCallRequest } from '../generated/grpc/testing/StreamingOutputCallRequest.js';
import type { StreamingOutputCallResponse__Output } from '../generated/grpc/testing/StreamingOutputCallResponse.js';
import { GZIP, withTestService, withUnimplementedService, type InteropTarget } from './clients.js';
import { describeStatus, streamOutcome, unaryOutcome, type Outcome } from './outcomes.js';

export class InteropFailure extends Error {
  override name = 'InteropFailure';
}

export type InteropCase = (target: InteropTarget) => Promise<void>;

const ECHO_INITIAL_KEY = 'x-grpc-test-echo-initial';
const ECHO_INITIAL_VALUE = 'test_initial_metadata_value';
const ECHO_TRAILING_KEY = 'x-grpc-test-echo-trailing-bin';
const ECHO_TRAILING_VALUE = Buffer.from([0xab, 0xab, 0xab]);
const SPECIAL_STATUS_MESSAGE = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';
/** grpc-js's WriteFlags.NoCompress (GRPC_WRITE_NO_COMPRESS in gRPC core): send this one message uncompressed. */
const NO_COMPRESS = 2;

function zeros(size: number): Buffer {
  return Buffer.alloc(size);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InteropFailure(message);
}

function expectStatus(what: string, outcome: Outcome, code: grpc.status, details?: string): void {
  check(outcome.status.code === code, `${what}: expected ${grpc.status[code]}, got ${describeStatus(outcome.status)}`);
  if (details !== undefined) {
    check(outcome.status.details === details, `${what}: expected message ${JSON.stringify(details)}, got ${JSON.stringify(outcome.status.details)}`);
  }
}

function expectPayload(what: string, payload: Payload__Output | null | undefined, size: number): void {
  check(payload != null, `${what}: the response has no payload`);
  check(payload.body.length === size, `${what}: expected a payload of ${size} bytes, got ${payload.body.length}`);
  check(payload.body.every((byte) => byte === 0), `${what}: the payload is not all zeros`);
}

function largeUnaryRequest(extra: SimpleRequest = {}): SimpleRequest {
  return { response_type: 'COMPRESSABLE', response_size: 314159, payload: { body: zeros(271828) }, ...extra };
}

function unaryCall(target: InteropTarget, request: SimpleRequest, channelOptions?: grpc.ChannelOptions, metadata = new grpc.Metadata()) {
  return withTestService(
    target,
    (client) =>
      unaryOutcome<SimpleResponse__Output>((done) => client.UnaryCall(request, metadata, { deadline: deadlineIn() }, done)),
    channelOptions,
  );
}

async function expectLargeUnary(what: string, target: InteropTarget, extra: SimpleRequest, channelOptions?: grpc.ChannelOptions) {
  const outcome = await unaryCall(target, largeUnaryRequest(extra), channelOptions);
  expectStatus(what, outcome, grpc.status.OK);
  expectPayload(what, outcome.response?.payload, 314159);
}

/** Sends each request of `requests` after the response to the one before, then half-closes. */
function pingPong(target: InteropTarget, requests: StreamingOutputCallRequest[], metadata = new grpc.Metadata()) {
  return withTestService(target, (client) => {
    const call = client.FullDuplexCall(metadata, { deadline: deadlineIn() });
    const outcome = streamOutcome(call);
    let sent = 0;
    const sendNext = (): void => {
      const next = requests[sent++];
      if (next === undefined) call.end();
      else call.write(next);
    };
    call.on('data', sendNext);
    sendNext();
    return outcome;
  });
}

function expectSizes(what: string, responses: StreamingOutputCallResponse__Output[], sizes: number[]): void {
  check(responses.length === sizes.length, `${what}: expected ${sizes.length} responses, got ${responses.length}`);
  responses.forEach((response, index) => expectPayload(`${what}, response ${index + 1}`, response.payload, sizes[index]!));
}

export async function emptyUnary(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) =>
    unaryOutcome((done) => client.EmptyCall({}, { deadline: deadlineIn() }, done)),
  );
  expectStatus('EmptyCall', outcome, grpc.status.OK);
  check(outcome.response != null, 'EmptyCall: no response');
}

export async function largeUnary(target: InteropTarget): Promise<void> {
  await expectLargeUnary('UnaryCall', target, {});
}

export async function clientCompressedUnary(target: InteropTarget): Promise<void> {
  const probe = await unaryCall(target, largeUnaryRequest({ expect_compressed: { value: true } }));
  expectStatus('probe (uncompressed request with expect_compressed=true)', probe, grpc.status.INVALID_ARGUMENT);
  await expectLargeUnary('compressed request', target, { expect_compressed: { value: true } }, GZIP);
  await expectLargeUnary('uncompressed request', target, { expect_compressed: { value: false } });
}

/**
 * The compressed flag of the response is not checked: grpc-js decompresses
 * before the application sees a message and does not say whether it was compressed.
 */
export async function serverCompressedUnary(target: InteropTarget): Promise<void> {
  await expectLargeUnary('response_compressed=true', target, { response_compressed: { value: true } });
  await expectLargeUnary('response_compressed=false', target, { response_compressed: { value: false } });
}

export async function clientStreaming(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) =>
    unaryOutcome<StreamingInputCallResponse__Output, grpc.ClientWritableStream<StreamingInputCallRequest>>(
      (done) => client.StreamingInputCall({ deadline: deadlineIn() }, done),
      (call) => {
        for (const size of [27182, 8, 1828, 45904]) call.write({ payload: { body: zeros(size) } });
        call.end();
      },
    ),
  );
  expectStatus('StreamingInputCall', outcome, grpc.status.OK);
  check(outcome.response?.aggregated_payload_size === 74922, `StreamingInputCall: expected aggregated_payload_size 74922, got ${outcome.response?.aggregated_payload_size}`);
}

export async function clientCompressedStreaming(target: InteropTarget): Promise<void> {
  const probe = await withTestService(target, (client) =>
    unaryOutcome<StreamingInputCallResponse__Output, grpc.ClientWritableStream<StreamingInputCallRequest>>(
      (done) => client.StreamingInputCall({ deadline: deadlineIn() }, done),
      (call) => {
        call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
        call.end();
      },
    ),
  );
  expectStatus('probe (uncompressed request with expect_compressed=true)', probe, grpc.status.INVALID_ARGUMENT);
  const outcome = await withTestService(
    target,
    (client) =>
      unaryOutcome<StreamingInputCallResponse__Output, grpc.ClientWritableStream<StreamingInputCallRequest>>(
        (done) => client.StreamingInputCall({ deadline: deadlineIn() }, done),
        (call) => {
          call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
          call.write({ expect_compressed: { value: false }, payload: { body: zeros(45904) } }, NO_COMPRESS);
          call.end();
        },
      ),
    GZIP,
  );
  expectStatus('StreamingInputCall', outcome, grpc.status.OK);
  check(outcome.response?.aggregated_payload_size === 73086, `StreamingInputCall: expected aggregated_payload_size 73086, got ${outcome.response?.aggregated_payload_size}`);
}

export async function serverStreaming(target: InteropTarget): Promise<void> {
  const sizes = [31415, 9, 2653, 58979];
  const outcome = await withTestService(target, (client) =>
    streamOutcome(
      client.StreamingOutputCall(
        { response_type: 'COMPRESSABLE', response_parameters: sizes.map((size) => ({ size })) },
        { deadline: deadlineIn() },
      ),
    ),
  );
  expectStatus('StreamingOutputCall', outcome, grpc.status.OK);
  expectSizes('StreamingOutputCall', outcome.responses, sizes);
}

/** As serverCompressedUnary, the compressed flag of each response is not checked (grpc-js does not expose it). */
export async function serverCompressedStreaming(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) =>
    streamOutcome(
      client.StreamingOutputCall(
        {
          response_parameters: [
            { compressed: { value: true }, size: 31415 },
            { compressed: { value: false }, size: 92653 },
          ],
        },
        { deadline: deadlineIn() },
      ),
    ),
  );
  expectStatus('StreamingOutputCall', outcome, grpc.status.OK);
  expectSizes('StreamingOutputCall', outcome.responses, [31415, 92653]);
}

export async function pingPongCase(target: InteropTarget): Promise<void> {
  const requestSizes = [27182, 8, 1828, 45904];
  const responseSizes = [31415, 9, 2653, 58979];
  const outcome = await pingPong(
    target,
    requestSizes.map((size, index) => ({
      response_type: 'COMPRESSABLE',
      response_parameters: [{ size: responseSizes[index] }],
      payload: { body: zeros(size) },
    })),
  );
  expectStatus('FullDuplexCall', outcome, grpc.status.OK);
  expectSizes('FullDuplexCall', outcome.responses, responseSizes);
}

export async function emptyStream(target: InteropTarget): Promise<void> {
  const outcome = await pingPong(target, []);
  expectStatus('FullDuplexCall', outcome, grpc.status.OK);
  check(outcome.responses.length === 0, `FullDuplexCall: expected no responses, got ${outcome.responses.length}`);
}

export async function timeoutOnSleepingServer(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) => {
    const call = client.FullDuplexCall({ deadline: deadlineIn(1) });
    const outcome = streamOutcome(call);
    call.write({ payload: { body: zeros(27182) } });
    return outcome;
  });
  expectStatus('FullDuplexCall with a 1 ms deadline', outcome, grpc.status.DEADLINE_EXCEEDED);
}

export async function cancelAfterBegin(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) =>
    unaryOutcome<StreamingInputCallResponse__Output, grpc.ClientWritableStream<StreamingInputCallRequest>>(
      (done) => client.StreamingInputCall({ deadline: deadlineIn() }, done),
      (call) => call.cancel(),
    ),
  );
  expectStatus('StreamingInputCall cancelled at once', outcome, grpc.status.CANCELLED);
}

export async function cancelAfterFirstResponse(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) => {
    const call = client.FullDuplexCall({ deadline: deadlineIn() });
    const outcome = streamOutcome(call);
    call.once('data', () => call.cancel());
    call.write({ response_type: 'COMPRESSABLE', response_parameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
    return outcome;
  });
  expectStatus('FullDuplexCall cancelled after its first response', outcome, grpc.status.CANCELLED);
  check(outcome.responses.length === 1, `FullDuplexCall: expected 1 response before the cancel, got ${outcome.responses.length}`);
}

async function expectEchoedStatus(target: InteropTarget, message: string, duplex: boolean): Promise<void> {
  const response_status = { code: grpc.status.UNKNOWN, message };
  const unary = await unaryCall(target, { response_status });
  expectStatus('UnaryCall', unary, grpc.status.UNKNOWN, message);
  if (!duplex) return;
  const stream = await pingPong(target, [{ response_status }]);
  expectStatus('FullDuplexCall', stream, grpc.status.UNKNOWN, message);
}

export async function statusCodeAndMessage(target: InteropTarget): Promise<void> {
  await expectEchoedStatus(target, 'test status message', true);
}

export async function specialStatusMessage(target: InteropTarget): Promise<void> {
  await expectEchoedStatus(target, SPECIAL_STATUS_MESSAGE, false);
}

function expectEchoedMetadata(what: string, outcome: Outcome): void {
  const initial = outcome.headers.get(ECHO_INITIAL_KEY);
  check(initial.length === 1 && initial[0] === ECHO_INITIAL_VALUE, `${what}: initial metadata ${ECHO_INITIAL_KEY} is ${JSON.stringify(initial)}, expected ["${ECHO_INITIAL_VALUE}"]`);
  const trailing = outcome.status.metadata.get(ECHO_TRAILING_KEY);
  check(
    trailing.length === 1 && Buffer.isBuffer(trailing[0]) && trailing[0].equals(ECHO_TRAILING_VALUE),
    `${what}: trailing metadata ${ECHO_TRAILING_KEY} is ${JSON.stringify(trailing.map((value) => Buffer.from(value).toString('hex')))}, expected ["ababab"]`,
  );
}

export async function customMetadata(target: InteropTarget): Promise<void> {
  const metadata = (): grpc.Metadata => {
    const metadata = new grpc.Metadata();
    metadata.set(ECHO_INITIAL_KEY, ECHO_INITIAL_VALUE);
    metadata.set(ECHO_TRAILING_KEY, ECHO_TRAILING_VALUE);
    return metadata;
  };
  const unary = await unaryCall(target, largeUnaryRequest(), {}, metadata());
  expectStatus('UnaryCall', unary, grpc.status.OK);
  expectEchoedMetadata('UnaryCall', unary);
  const stream = await pingPong(target, [{ response_parameters: [{ size: 314159 }], payload: { body: zeros(271828) } }], metadata());
  expectStatus('FullDuplexCall', stream, grpc.status.OK);
  expectEchoedMetadata('FullDuplexCall', stream);
}

export async function unimplementedMethod(target: InteropTarget): Promise<void> {
  const outcome = await withTestService(target, (client) =>
    unaryOutcome((done) => client.UnimplementedCall({}, { deadline: deadlineIn() }, done)),
  );
  expectStatus('TestService/UnimplementedCall', outcome, grpc.status.UNIMPLEMENTED);
}

export async function unimplementedService(target: InteropTarget): Promise<void> {
  const outcome = await withUnimplementedService(target, (client) =>
    unaryOutcome((done) => client.UnimplementedCall({}, { deadline: deadlineIn() }, done)),
  );
  expectStatus('UnimplementedService/UnimplementedCall', outcome, grpc.status.UNIMPLEMENTED);
}

/** Every case, by the name gRPC's interop clients give it (--test_case). */
export const INTEROP_CASES: Readonly<Record<string, InteropCase>> = {
  empty_unary: emptyUnary,
  large_unary: largeUnary,
  client_compressed_unary: clientCompressedUnary,
  server_compressed_unary: serverCompressedUnary,
  client_streaming: clientStreaming,
  client_compressed_streaming: clientCompressedStreaming,
  server_streaming: serverStreaming,
  server_compressed_streaming: serverCompressedStreaming,
  ping_pong: pingPongCase,
  empty_stream: emptyStream,
  timeout_on_sleeping_server: timeoutOnSleepingServer,
  cancel_after_begin: cancelAfterBegin,
  cancel_after_first_response: cancelAfterFirstResponse,
  status_code_and_message: statusCodeAndMessage,
  special_status_message: specialStatusMessage,
  custom_metadata: customMetadata,
  unimplemented_method: unimplementedMethod,
  unimplemented_service: unimplementedService,
};
