// Fully managed Cloud Run carried only unary gRPC until its HTTP/2 end-to-end
// mode; Knative (Cloud Run for Anthos) carries every shape. STREAMING decides
// which shapes this server offers, and `auto` reads the platform from the
// environment Cloud Run and Kubernetes set.
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../config.js';

export interface StreamingMode {
  readonly enabled: boolean;
  readonly reason: string;
}

export function resolveStreamingMode(config: Pick<Config, 'streaming' | 'platform'>): StreamingMode {
  if (config.streaming === 'on') return { enabled: true, reason: 'STREAMING=on' };
  if (config.streaming === 'off') return { enabled: false, reason: 'STREAMING=off' };
  const { kService, kubernetesServiceHost } = config.platform;
  if (kService !== undefined && kubernetesServiceHost === undefined) {
    return {
      enabled: false,
      reason:
        'STREAMING=auto: K_SERVICE is set without KUBERNETES_SERVICE_HOST, so this is fully managed Cloud Run ' +
        '(set STREAMING=on when the service uses HTTP/2 end-to-end, --use-http2)',
    };
  }
  return {
    enabled: true,
    reason:
      kubernetesServiceHost === undefined
        ? 'STREAMING=auto: not on Cloud Run (no K_SERVICE)'
        : 'STREAMING=auto: KUBERNETES_SERVICE_HOST is set, so this is Knative / Cloud Run for Anthos',
  };
}

export function streamingDisabledStatus(method: string): grpc.StatusObject {
  return {
    code: grpc.status.UNIMPLEMENTED,
    details:
      `${method} is a streaming RPC and streaming is off on this server (STREAMING=off, or STREAMING=auto on ` +
      'fully managed Cloud Run, which carries only unary gRPC unless HTTP/2 end-to-end is enabled). ' +
      'Call the unary SayHello instead, or redeploy with STREAMING=on.',
    metadata: new grpc.Metadata(),
  };
}
