// Original file: proto/grpc/testing/messages.proto


/**
 * The status a client asks the server to end the call with.
 */
export interface EchoStatus {
  'code'?: (number);
  'message'?: (string);
}

/**
 * The status a client asks the server to end the call with.
 */
export interface EchoStatus__Output {
  'code': (number);
  'message': (string);
}
