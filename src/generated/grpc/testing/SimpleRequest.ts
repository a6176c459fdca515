// Original file: proto/grpc/testing/messages.proto

import type { PayloadType as _grpc_testing_PayloadType, PayloadType__Output as _grpc_testing_PayloadType__Output } from '../../grpc/testing/PayloadType.js';
import type { Payload as _grpc_testing_Payload, Payload__Output as _grpc_testing_Payload__Output } from '../../grpc/testing/Payload.js';
import type { BoolValue as _grpc_testing_BoolValue, BoolValue__Output as _grpc_testing_BoolValue__Output } from '../../grpc/testing/BoolValue.js';
import type { EchoStatus as _grpc_testing_EchoStatus, EchoStatus__Output as _grpc_testing_EchoStatus__Output } from '../../grpc/testing/EchoStatus.js';

/**
 * UnaryCall's request.
 */
export interface SimpleRequest {
  'response_type'?: (_grpc_testing_PayloadType);
  /**
   * Size of the payload body of the response.
   */
  'response_size'?: (number);
  'payload'?: (_grpc_testing_Payload | null);
  'fill_username'?: (boolean);
  'fill_oauth_scope'?: (boolean);
  /**
   * Asks for the response to be sent compressed (true) or not (false).
   */
  'response_compressed'?: (_grpc_testing_BoolValue | null);
  /**
   * Asks the server to end the call with this status.
   */
  'response_status'?: (_grpc_testing_EchoStatus | null);
  /**
   * Tells the server this request was sent compressed (true) or not (false).
   */
  'expect_compressed'?: (_grpc_testing_BoolValue | null);
  'fill_server_id'?: (boolean);
  'fill_grpclb_route_type'?: (boolean);
}

/**
 * UnaryCall's request.
 */
export interface SimpleRequest__Output {
  'response_type': (_grpc_testing_PayloadType__Output);
  /**
   * Size of the payload body of the response.
   */
  'response_size': (number);
  'payload': (_grpc_testing_Payload__Output | null);
  'fill_username': (boolean);
  'fill_oauth_scope': (boolean);
  /**
   * Asks for the response to be sent compressed (true) or not (false).
   */
  'response_compressed': (_grpc_testing_BoolValue__Output | null);
  /**
   * Asks the server to end the call with this status.
   */
  'response_status': (_grpc_testing_EchoStatus__Output | null);
  /**
   * Tells the server this request was sent compressed (true) or not (false).
   */
  'expect_compressed': (_grpc_testing_BoolValue__Output | null);
  'fill_server_id': (boolean);
  'fill_grpclb_route_type': (boolean);
}
