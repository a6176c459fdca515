import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { serverCredentials } from '../../src/server/tls.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';

t.test('without TLS files the server speaks plaintext', async (t) => {
  t.equal(serverCredentials(loadConfig({}).tls)._isSecure(), false);
});

t.test('with a certificate and its key the server speaks TLS', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  t.equal(serverCredentials(loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).tls)._isSecure(), true);
});
