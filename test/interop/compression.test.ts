// The four compression cases against a stand-in server that can do what grpc-js
// cannot: read each request's compressed flag and compress responses. This
// checks our interop client; our own server refuses these cases (cases.test.ts).
import t from 'tap';
import { INTEROP_CASES } from '../../src/interop/cases.js';
import { startCompressingServer } from '../helpers/compressing-server.js';

const CASES = ['client_compressed_unary', 'client_compressed_streaming', 'server_compressed_unary', 'server_compressed_streaming'];

t.test('against a server that checks and does compression', async (t) => {
  const target = { target: await startCompressingServer(t), options: { insecure: true } };
  for (const name of CASES) t.test(`${name} passes`, (t) => t.resolves(INTEROP_CASES[name]!(target)));
});

t.test('against a server that ignores expect_compressed, the client_compressed probes fail', async (t) => {
  const target = { target: await startCompressingServer(t, { checks: false }), options: { insecure: true } };
  await t.rejects(INTEROP_CASES.client_compressed_unary!(target), {
    message: 'probe (uncompressed request with expect_compressed=true): expected INVALID_ARGUMENT, got OK',
  });
  await t.rejects(INTEROP_CASES.client_compressed_streaming!(target), { message: /probe .*got OK$/ });
});
