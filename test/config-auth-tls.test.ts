import t from 'tap';
import { loadClientEnvironment, loadConfig, processEnvironment } from '../src/config.js';

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
  t.same(loadConfig({ TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: 'key.pem' }).tls, { certFile: 'cert.pem', keyFile: 'key.pem' });
  t.throws(() => loadConfig({ TLS_CERT_FILE: 'cert.pem' }), { variable: 'TLS_KEY_FILE', message: /set both or neither/ });
  t.throws(() => loadConfig({ TLS_KEY_FILE: 'key.pem' }), { variable: 'TLS_CERT_FILE', message: /set both or neither/ });
});

t.test('the client takes a static token from CLOUDRUN_GRPC_TOKEN', async (t) => {
  t.equal(loadClientEnvironment({ CLOUDRUN_GRPC_TOKEN: ' abc ' }).token, 'abc');
  t.equal(loadClientEnvironment({}).token, undefined);
  t.equal(processEnvironment(), process.env);
});
