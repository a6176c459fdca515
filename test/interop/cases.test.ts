// Every interop case of issue #6, run by our interop client against the real
// server (INTEROP=on, STREAMING=on) over a real socket.
import t from 'tap';
import { INTEROP_CASES } from '../../src/interop/cases.js';
import { startServer } from '../helpers/server.js';

const { address } = await startServer(t, { INTEROP: 'on', STREAMING: 'on' });
const target = { target: address, options: { insecure: true } };

/** The cases grpc-js cannot serve: it neither compresses server messages nor tells a server whether a request was. */
const COMPRESSION_CASES: Record<string, RegExp> = {
  client_compressed_unary: /probe .*expected INVALID_ARGUMENT, got UNIMPLEMENTED: expect_compressed=true .*cannot/,
  client_compressed_streaming: /probe .*expected INVALID_ARGUMENT, got UNIMPLEMENTED: message 1: expect_compressed=true .*cannot/,
  server_compressed_unary: /expected OK, got UNIMPLEMENTED: response_compressed=true .*never compresses/,
  server_compressed_streaming: /expected OK, got UNIMPLEMENTED: response_parameters\[0\]\.compressed=true .*never compresses/,
};

for (const [name, run] of Object.entries(INTEROP_CASES)) {
  const refused = COMPRESSION_CASES[name];
  if (refused === undefined) {
    t.test(`${name} passes`, (t) => t.resolves(run(target)));
  } else {
    t.test(`${name} is refused with UNIMPLEMENTED and the reason`, async (t) => {
      await t.rejects(run(target), { name: 'InteropFailure', message: refused });
    });
  }
}
