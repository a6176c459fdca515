import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadClientEnvironment, loadConfig, processEnvironment } from '../src/config.js';
import { createTestPki, opensslMissing } from './helpers/pki.js';

t.test('token verification and TLS are off by default', async (t) => {
  const config = loadConfig({});
  t.equal(config.auth, undefined);
  t.equal(config.tls, undefined);
});

t.test('AUTH_AUDIENCE takes a comma-separated list; AUTH_ALLOWED_EMAILS is lower-cased', async (t) => {
  const config = loadConfig({ AUTH_AUDIENCE: ' https://a.run.app , https://b.example.com,', AUTH_ALLOWED_EMAILS: 'CI@p.iam.gserviceaccount.com' });
  t.same(config.auth, { audiences: ['https://a.run.app', 'https://b.example.com'], allowedEmails: ['ci@p.iam.gserviceaccount.com'] });
});

t.test('AUTH_ALLOWED_EMAILS without AUTH_AUDIENCE is refused', async (t) => {
  t.throws(() => loadConfig({ AUTH_ALLOWED_EMAILS: 'ci@p.iam.gserviceaccount.com' }), { name: 'ConfigError', variable: 'AUTH_ALLOWED_EMAILS', message: /needs AUTH_AUDIENCE/ });
});

t.test('AUTH_ALLOWED_EMAILS must list email addresses', async (t) => {
  t.throws(() => loadConfig({ AUTH_AUDIENCE: 'https://a.run.app', AUTH_ALLOWED_EMAILS: 'ci@p.iam.gserviceaccount.com,robot' }), {
    variable: 'AUTH_ALLOWED_EMAILS',
    message: /"robot" is not an email address/,
  });
});

t.test('TLS_CERT_FILE and TLS_KEY_FILE are set together or not at all', async (t) => {
  t.throws(() => loadConfig({ TLS_CERT_FILE: 'cert.pem' }), { variable: 'TLS_KEY_FILE', message: /set both or neither/ });
  t.throws(() => loadConfig({ TLS_KEY_FILE: 'key.pem' }), { variable: 'TLS_CERT_FILE', message: /set both or neither/ });
});

t.test('the TLS certificate and key are read at start-up', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  const tls = loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile }).tls;
  t.match(tls, { certFile, keyFile });
  t.match(tls?.cert.toString(), /^-----BEGIN CERTIFICATE-----/);
  t.match(tls?.key.toString(), /^-----BEGIN PRIVATE KEY-----/);
});

t.test('an unreadable certificate or key file is a ConfigError naming its variable and the file', { skip: opensslMissing }, async (t) => {
  const { certFile, keyFile } = createTestPki(t);
  t.throws(() => loadConfig({ TLS_CERT_FILE: '/nonexistent/cert.pem', TLS_KEY_FILE: keyFile }), {
    name: 'ConfigError',
    variable: 'TLS_CERT_FILE',
    message: /^TLS_CERT_FILE: cannot read "\/nonexistent\/cert.pem": ENOENT/,
  });
  t.throws(() => loadConfig({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: '/nonexistent/key.pem' }), {
    variable: 'TLS_KEY_FILE',
    message: /^TLS_KEY_FILE: cannot read "\/nonexistent\/key.pem"/,
  });
});

t.test('a certificate that does not parse, or a key that does not match it, is a ConfigError', { skip: opensslMissing }, async (t) => {
  const one = createTestPki(t);
  const other = createTestPki(t);
  const garbage = join(t.testdir(), 'garbage.pem');
  writeFileSync(garbage, 'not a certificate');
  const unusable = { variable: 'TLS_CERT_FILE', message: /^TLS_CERT_FILE: with TLS_KEY_FILE, not a usable PEM certificate and key: / };
  t.throws(() => loadConfig({ TLS_CERT_FILE: garbage, TLS_KEY_FILE: one.keyFile }), unusable, 'not a certificate');
  t.throws(() => loadConfig({ TLS_CERT_FILE: one.certFile, TLS_KEY_FILE: other.keyFile }), unusable, 'the wrong key');
});

t.test('the client takes a static token from CLOUDRUN_GRPC_TOKEN', async (t) => {
  t.equal(loadClientEnvironment({ CLOUDRUN_GRPC_TOKEN: ' abc ' }).token, 'abc');
  t.equal(loadClientEnvironment({}).token, undefined);
  t.equal(processEnvironment(), process.env);
});
