// Server transport credentials: plaintext HTTP/2 (h2c) by default, as Cloud Run
// and Knative terminate TLS in front of the container; TLS from TLS_CERT_FILE and
// TLS_KEY_FILE for direct use (and for testing the client's TLS path).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, type TlsConfig } from '../config.js';

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(variable, `cannot read "${file}": ${(error as Error).message}`);
  }
}

export function serverCredentials(tls: TlsConfig | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const certChain = readPem('TLS_CERT_FILE', tls.certFile);
  const privateKey = readPem('TLS_KEY_FILE', tls.keyFile);
  try {
    return grpc.ServerCredentials.createSsl(null, [{ cert_chain: certChain, private_key: privateKey }], false);
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `cannot use it with TLS_KEY_FILE: ${(error as Error).message}`);
  }
}
