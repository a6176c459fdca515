// How a gRPC call over HTTP/2 ends, read as gRPC's spec says a client must:
// grpc-status and percent-encoded grpc-message from the trailers (or from the
// headers of a trailers-only reply); a non-200 HTTP status or an RST_STREAM
// without a gRPC status mapped to the code grpc-go and grpc-node give it.
import { constants } from 'node:http2';
import { status } from '@grpc/grpc-js';

/** grpc-message is percent-encoded UTF-8; a malformed one is shown as it came, not dropped. */
export function decodeGrpcMessage(text: string | undefined): string {
  if (text === undefined || !text.includes('%')) return text ?? '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The gRPC code of a reply that is not HTTP 200 (gRPC's "HTTP to gRPC status code mapping"). */
export function statusFromHttp(httpStatus: number): status {
  switch (httpStatus) {
    case 400:
      return status.INTERNAL;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return status.UNAVAILABLE;
    default:
      return status.UNKNOWN;
  }
}

/** The gRPC code of a stream reset before any status arrived. */
export function statusFromReset(rstCode: number): status {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return status.UNAVAILABLE;
    case constants.NGHTTP2_CANCEL:
      return status.CANCELLED;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return status.RESOURCE_EXHAUSTED;
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return status.PERMISSION_DENIED;
    default:
      return status.INTERNAL;
  }
}

/** grpc-timeout for a deadline: at most 8 digits, in the finest unit that fits. */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  if (whole < 1e8) return `${whole}m`;
  if (whole < 1e11) return `${Math.ceil(whole / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(whole / 3_600_000))}H`;
}
