// What a client needs to ride through a rolling deploy without losing calls:
// spread calls round-robin over every address it has, and retry a call that a
// server shutting down refused (UNAVAILABLE) on another. gRPC retries a call
// only until its first reply has arrived, so a stream already under way is
// never replayed; the Greeter's calls are all safe to repeat.
import type * as grpc from '@grpc/grpc-js';
import { GREETER_SERVICE } from '../proto.js';

export const RETRY_UNAVAILABLE = {
  maxAttempts: 5,
  initialBackoff: '0.05s',
  maxBackoff: '1s',
  backoffMultiplier: 2,
  retryableStatusCodes: ['UNAVAILABLE'],
} as const;

/** Channel options: round_robin over the target's addresses, and the Greeter's calls retried on UNAVAILABLE. */
export function roundRobinWithRetries(): grpc.ChannelOptions {
  return {
    'grpc.service_config': JSON.stringify({
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [{ name: [{ service: GREETER_SERVICE }], retryPolicy: RETRY_UNAVAILABLE }],
    }),
  };
}
