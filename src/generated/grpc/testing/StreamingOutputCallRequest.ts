// Original file: proto/grpc/testing/messages.proto

import type { PayloadType as _grpc_testing_PayloadType, PayloadType__Output as _grpc_testing_PayloadType__Output } from '../../grpc/testing/PayloadType.js';
import type { ResponseParameters as _grpc_testing_ResponseParameters, ResponseParameters__Output as _grpc_testing_ResponseParameters__Output } from '../../grpc/testing/ResponseParameters.js';
import type { Payload as _grpc_testing_Payload, Payload__Output as _grpc_testing_Payload__Output } from '../../grpc/testing/Payload.js';
import type { EchoStatus as _grpc_testing_EchoStatus, EchoStatus__Output as _grpc_testing_EchoStatus__Output } from '../../grpc/testing/EchoStatus.js';

/**
 * The request of StreamingOutputCall, FullDuplexCall and HalfDuplexCall.
 */
export interface StreamingOutputCallRequest {
  'response_type'?: (_grpc_testing_PayloadType);
  /**
   * One response per entry, in order.
   */
  'response_parameters'?: (_grpc_testing_ResponseParameters)[];
  'payload'?: (_grpc_testing_Payload | null);
  'response_status'?: (_grpc_testing_EchoStatus | null);
}

/**
 * The request of StreamingOutputCall, FullDuplexCall and HalfDuplexCall.
 */
export interface StreamingOutputCallRequest__Output {
  'response_type': (_grpc_testing_PayloadType__Output);
  /**
   * One response per entry, in order.
   */
  'response_parameters': (_grpc_testing_ResponseParameters__Output)[];
  'payload': (_grpc_testing_Payload__Output | null);
  'response_status': (_grpc_testing_EchoStatus__Output | null);
}
