// With STREAMING=off the interop service keeps its unary RPCs and refuses the
// streaming ones at once, exactly as the Greeter does; with INTEROP=off it is not served.
import t from 'tap';
import { INTEROP_CASES } from '../../src/interop/cases.js';
import { startServer } from '../helpers/server.js';

const UNARY_CASES = ['empty_unary', 'large_unary', 'special_status_message', 'unimplemented_method', 'unimplemented_service'];
const STREAMING_CASES = ['client_streaming', 'server_streaming', 'ping_pong', 'empty_stream', 'cancel_after_first_response'];

t.test('with STREAMING=off', async (t) => {
  const { address } = await startServer(t, { INTEROP: 'on', STREAMING: 'off' });
  const target = { target: address, options: { insecure: true } };
  for (const name of UNARY_CASES) {
    t.test(`${name} passes`, (t) => t.resolves(INTEROP_CASES[name]!(target)));
  }
  for (const name of STREAMING_CASES) {
    t.test(`${name} fails with UNIMPLEMENTED: streaming is off`, (t) =>
      t.rejects(INTEROP_CASES[name]!(target), { message: /got UNIMPLEMENTED: \w+ is a streaming RPC and streaming is off/ }),
    );
  }
  t.test('status_code_and_message passes its unary half and fails at FullDuplexCall', (t) =>
    t.rejects(INTEROP_CASES.status_code_and_message!(target), { message: /^FullDuplexCall: expected UNKNOWN, got UNIMPLEMENTED/ }),
  );
});

t.test('with INTEROP=off TestService is not served', async (t) => {
  const { address } = await startServer(t, { STREAMING: 'on' });
  await t.rejects(INTEROP_CASES.empty_unary!({ target: address, options: { insecure: true } }), {
    message: /expected OK, got UNIMPLEMENTED/,
  });
});
