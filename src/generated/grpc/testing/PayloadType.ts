// Original file: proto/grpc/testing/messages.proto

export const PayloadType = {
  /**
   * Compressable text format: the only type there is.
   */
  COMPRESSABLE: 'COMPRESSABLE',
} as const;

export type PayloadType =
  /**
   * Compressable text format: the only type there is.
   */
  | 'COMPRESSABLE'
  | 0

export type PayloadType__Output = typeof PayloadType[keyof typeof PayloadType]
