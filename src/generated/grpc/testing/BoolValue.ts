// Original file: proto/grpc/testing/messages.proto


/**
 * A nullable bool: unset means "the client does not ask", which differs from false.
 */
export interface BoolValue {
  'value'?: (boolean);
}

/**
 * A nullable bool: unset means "the client does not ask", which differs from false.
 */
export interface BoolValue__Output {
  'value': (boolean);
}
