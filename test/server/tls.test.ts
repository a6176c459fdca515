import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { serverCredentials } from '../../src/server/tls.js';
import { createTestPki, opensslMissing } from '../helpers/pki.js';

t.test('without TLS files the server speaks plaintext', async (t) => {
  t.equal(serverCredentials(undefined)._isSecure(), false);
});

t.test('with a certificate and its key the server speaks TLS', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  t.equal(serverCredentials({ certFile, keyFile })._isSecure(), true);
});

t.test('an unreadable certificate or key file is a ConfigError naming its variable', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  t.throws(() => serverCredentials({ certFile: '/nonexistent/cert.pem', keyFile }), {
    variable: 'TLS_CERT_FILE',
    message: /TLS_CERT_FILE: cannot read "\/nonexistent\/cert.pem"/,
  });
  t.throws(() => serverCredentials({ certFile, keyFile: '/nonexistent/key.pem' }), { message: /TLS_KEY_FILE: cannot read/ });
});

t.test('a certificate with the wrong key is a ConfigError', { skip: opensslMissing }, async (t) => {
  const one = createTestPki(t);
  const other = createTestPki(t);
  t.throws(() => serverCredentials({ certFile: one.certFile, keyFile: other.keyFile }), {
    name: 'ConfigError',
    message: /TLS_CERT_FILE: with TLS_KEY_FILE, not a usable PEM certificate and key/,
  });
  const garbage = join(t.testdir(), 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  t.throws(() => serverCredentials({ certFile: garbage, keyFile: one.keyFile }), { name: 'ConfigError' });
});
