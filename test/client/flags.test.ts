// Connection flags → ConnectionSpec, run in this process (no server involved).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { connectOptionsFromFlags, UsageError } from '../../src/client/flags.js';

function caFile(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'cloudrun-grpc-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
  return join(dir, 'ca.pem');
}

t.test('connection flags become a ConnectionSpec and a deadline', async (t) => {
  const ca = caFile(t);
  t.same(connectOptionsFromFlags({}, {}), { insecure: false });
  t.same(
    connectOptionsFromFlags({
      insecure: true,
      authority: 'hello.default.example.com',
      'ca-file': ca,
      audience: 'https://hello.a.run.app',
      metadata: ['x-team=blue', 'X-Note=a=b'],
      gzip: true,
      deadline: '1.5s',
    }, {}),
    {
      insecure: true,
      authority: 'hello.default.example.com',
      caFile: ca,
      auth: { kind: 'id-token', audience: 'https://hello.a.run.app' },
      metadata: [
        ['x-team', 'blue'],
        ['x-note', 'a=b'],
      ],
      gzip: true,
      deadlineMs: 1500,
    },
  );
});

t.test('--id-token mints for the default audience; --token and CLOUDRUN_GRPC_TOKEN send a static token', async (t) => {
  t.same(connectOptionsFromFlags({ 'id-token': true }, {}).auth, { kind: 'id-token' });
  t.same(connectOptionsFromFlags({ token: 'abc' }, {}).auth, { kind: 'static', token: 'abc' });
  t.same(connectOptionsFromFlags({}, { CLOUDRUN_GRPC_TOKEN: 'from-env' }).auth, { kind: 'static', token: 'from-env' });
  t.same(connectOptionsFromFlags({ token: 'flag' }, { CLOUDRUN_GRPC_TOKEN: 'env' }).auth, { kind: 'static', token: 'flag' });
  t.same(connectOptionsFromFlags({ 'id-token': true }, { CLOUDRUN_GRPC_TOKEN: 'env' }).auth, { kind: 'id-token' });
});

t.test('--deadline takes ms, s, m and h, and needs the unit', async (t) => {
  const ms = (deadline: string) => connectOptionsFromFlags({ deadline }, {}).deadlineMs;
  t.equal(ms('250ms'), 250);
  t.equal(ms('30s'), 30_000);
  t.equal(ms('2m'), 120_000);
  t.equal(ms('1h'), 3_600_000);
  for (const bad of ['30', '0', '0s', '-1s', 'soon', '5d', '']) {
    t.throws(() => ms(bad), UsageError, bad);
  }
});

t.test('bad connection flags are usage errors that say what is wrong', async (t) => {
  t.throws(() => connectOptionsFromFlags({ token: 'a', 'id-token': true }, {}), { name: 'UsageError', message: /two ways to authenticate/ });
  t.throws(() => connectOptionsFromFlags({ token: 'a', audience: 'https://x' }, {}), { message: /two ways to authenticate/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['novalue'] }, {}), { message: /--metadata "novalue" is not KEY=VALUE/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['=x'] }, {}), { message: /is not KEY=VALUE/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['Authorization=Bearer x'] }, {}), { message: /use --token or --id-token/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['bad key=x'] }, {}), { message: /cannot send metadata "bad key"/ });
  t.throws(() => connectOptionsFromFlags({ 'ca-file': '/nonexistent/ca.pem' }, {}), {
    name: 'UsageError',
    message: /--ca-file: cannot read the CA file "\/nonexistent\/ca\.pem"/,
  });
});

