import type { Payload } from '../../generated/grpc/testing/Payload.js';
import { MAX_PAYLOAD_BYTES } from './requests.js';

let zeros: Buffer | undefined;

/** A payload of `size` zero bytes: a view of one shared buffer, so large responses cost no allocation each. */
export function zeroPayload(size: number): Payload {
  zeros ??= Buffer.alloc(MAX_PAYLOAD_BYTES);
  return { type: 'COMPRESSABLE', body: zeros.subarray(0, size) };
}
