import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { serverCredentials } from '../../src/server/tls.js';
import { silentConnections } from '../helpers/attacks.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';
import { eventually, startServer } from '../helpers/server.js';

t.test('without TLS files the server speaks plaintext', async (t) => {
  t.equal(serverCredentials(loadConfig({}).tls)._isSecure(), false);
});

t.test('with a certificate and its key the server speaks TLS', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  t.equal(serverCredentials(loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).tls)._isSecure(), true);
});

t.test('a connection that never sends its ClientHello is closed after TLS_HANDSHAKE_TIMEOUT_MS', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  const server = await startServer(t, { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TLS_HANDSHAKE_TIMEOUT_MS: '200' });
  const silent = await silentConnections(server.address, 3);
  t.teardown(silent.close);
  await eventually(() => silent.closed() === 3, 5000, 'the server to close the connections that never began their handshake');
});
