// Server transport credentials: plaintext HTTP/2 (h2c) by default, as Cloud Run
// and Knative terminate TLS in front of the container; TLS from TLS_CERT_FILE and
// TLS_KEY_FILE (read and checked by loadConfig) for direct use and for testing
// the client's TLS path. A connection that has not finished its handshake
// within TLS_HANDSHAKE_TIMEOUT_MS is closed: before the handshake there is no
// HTTP/2 session, so keepalive cannot close it.
import * as grpc from '@grpc/grpc-js';
import type { TlsConfig } from '../config.js';
import { withServerOptions } from './call-transport.js';

export function serverCredentials(tls: TlsConfig | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false);
  return withServerOptions(credentials, { handshakeTimeout: tls.handshakeTimeoutMs });
}
