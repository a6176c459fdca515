// Server transport credentials: plaintext HTTP/2 (h2c) by default, as Cloud Run
// and Knative terminate TLS in front of the container; TLS from TLS_CERT_FILE and
// TLS_KEY_FILE for direct use (and for testing the client's TLS path).
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, type TlsConfig } from '../config.js';

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(variable, `cannot read "${file}": ${(error as Error).message}`);
  }
}

/** The server's credentials; a ConfigError naming the variable when a file is unreadable or the pair unusable. */
export function serverCredentials(tls: TlsConfig | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const cert = readPem('TLS_CERT_FILE', tls.certFile);
  const key = readPem('TLS_KEY_FILE', tls.keyFile);
  try {
    // grpc-js would only find out at bind time, with a less helpful message.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `with TLS_KEY_FILE, not a usable PEM certificate and key: ${(error as Error).message}`);
  }
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}
