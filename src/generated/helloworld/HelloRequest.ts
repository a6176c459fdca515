// Original file: proto/helloworld.proto


export interface HelloRequest {
  /**
   * Who to greet. Required: 1 to 1024 UTF-8 characters.
   */
  'name'?: (string);
  /**
   * LotsOfReplies only: how many replies to send. 0 means the default (10);
   * the maximum is 1,000,000.
   */
  'count'?: (number);
  /**
   * LotsOfReplies only: milliseconds to wait between replies. 0 sends them as
   * fast as flow control allows; the maximum is 60,000.
   */
  'interval_ms'?: (number);
  /**
   * Bytes of filler to put in each reply's `payload` (load testing). 0 means
   * none; the maximum is 1 MiB (1,048,576).
   */
  'response_size'?: (number);
  /**
   * Filler the client may send to exercise request size (load testing). The
   * server ignores its content.
   */
  'payload'?: (Buffer | Uint8Array | string);
}

export interface HelloRequest__Output {
  /**
   * Who to greet. Required: 1 to 1024 UTF-8 characters.
   */
  'name': (string);
  /**
   * LotsOfReplies only: how many replies to send. 0 means the default (10);
   * the maximum is 1,000,000.
   */
  'count': (number);
  /**
   * LotsOfReplies only: milliseconds to wait between replies. 0 sends them as
   * fast as flow control allows; the maximum is 60,000.
   */
  'interval_ms': (number);
  /**
   * Bytes of filler to put in each reply's `payload` (load testing). 0 means
   * none; the maximum is 1 MiB (1,048,576).
   */
  'response_size': (number);
  /**
   * Filler the client may send to exercise request size (load testing). The
   * server ignores its content.
   */
  'payload': (Buffer);
}
