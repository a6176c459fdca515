// Original file: proto/helloworld.proto


export interface HelloResponse {
  /**
   * The greeting.
   */
  'message'?: (string);
  /**
   * LotsOfReplies and BidiHello: 1-based position of this reply in the stream.
   * LotsOfGreetings: how many requests were received.
   */
  'sequence'?: (number);
  /**
   * `response_size` bytes of filler, when asked for.
   */
  'payload'?: (Buffer | Uint8Array | string);
}

export interface HelloResponse__Output {
  /**
   * The greeting.
   */
  'message': (string);
  /**
   * LotsOfReplies and BidiHello: 1-based position of this reply in the stream.
   * LotsOfGreetings: how many requests were received.
   */
  'sequence': (number);
  /**
   * `response_size` bytes of filler, when asked for.
   */
  'payload': (Buffer);
}
