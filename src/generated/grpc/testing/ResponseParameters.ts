// Original file: proto/grpc/testing/messages.proto

import type { BoolValue as _grpc_testing_BoolValue, BoolValue__Output as _grpc_testing_BoolValue__Output } from '../../grpc/testing/BoolValue.js';

/**
 * One response the client asks for.
 */
export interface ResponseParameters {
  /**
   * Size of the payload body of this response.
   */
  'size'?: (number);
  /**
   * Wait this long (microseconds) after the previous response before sending this one.
   */
  'interval_us'?: (number);
  /**
   * Asks for this response to be sent compressed (true) or not (false).
   */
  'compressed'?: (_grpc_testing_BoolValue | null);
}

/**
 * One response the client asks for.
 */
export interface ResponseParameters__Output {
  /**
   * Size of the payload body of this response.
   */
  'size': (number);
  /**
   * Wait this long (microseconds) after the previous response before sending this one.
   */
  'interval_us': (number);
  /**
   * Asks for this response to be sent compressed (true) or not (false).
   */
  'compressed': (_grpc_testing_BoolValue__Output | null);
}
