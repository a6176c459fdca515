// Original file: proto/grpc/testing/messages.proto


/**
 * StreamingInputCall's response.
 */
export interface StreamingInputCallResponse {
  /**
   * Sum of the payload body sizes of every request received.
   */
  'aggregated_payload_size'?: (number);
}

/**
 * StreamingInputCall's response.
 */
export interface StreamingInputCallResponse__Output {
  /**
   * Sum of the payload body sizes of every request received.
   */
  'aggregated_payload_size': (number);
}
