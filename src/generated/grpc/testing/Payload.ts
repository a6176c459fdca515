// Original file: proto/grpc/testing/messages.proto

import type { PayloadType as _grpc_testing_PayloadType, PayloadType__Output as _grpc_testing_PayloadType__Output } from '../../grpc/testing/PayloadType.js';

/**
 * Filler bytes that make a message as large as the test needs.
 */
export interface Payload {
  'type'?: (_grpc_testing_PayloadType);
  'body'?: (Buffer | Uint8Array | string);
}

/**
 * Filler bytes that make a message as large as the test needs.
 */
export interface Payload__Output {
  'type': (_grpc_testing_PayloadType__Output);
  'body': (Buffer);
}
