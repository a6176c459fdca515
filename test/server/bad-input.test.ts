import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { connect, greeterClient } from '../../src/client/connect.js';
import { BAD_INPUTS, type BadInputOutcome } from '../helpers/bad-input.js';
import { sayHello } from '../helpers/calls.js';
import { spawnServer } from '../helpers/process.js';

const { INTERNAL, OK, RESOURCE_EXHAUSTED, UNIMPLEMENTED } = grpc.status;

/** What each bad input gets back: a gRPC status, HTTP 415, or the stream or connection cut. */
const EXPECTED: Record<string, Partial<BadInputOutcome>> = {
  'truncated message (length says 10, 3 bytes sent)': { grpcStatus: UNIMPLEMENTED },
  'bytes that are not a HelloRequest': { grpcStatus: INTERNAL, grpcMessage: 'Error deserializing request' },
  'a cut-off frame header': { grpcStatus: UNIMPLEMENTED },
  'no request message at all': { grpcStatus: UNIMPLEMENTED },
  'two request messages to a unary method': { grpcStatus: UNIMPLEMENTED },
  // grpc-js reads a message flagged compressed under identity encoding as uncompressed, and answers it.
  'compressed flag without grpc-encoding': { grpcStatus: OK },
  'unknown grpc-encoding': { grpcStatus: UNIMPLEMENTED },
  'a length prefix of 2 GiB': { grpcStatus: RESOURCE_EXHAUSTED },
  'content-type application/json': { httpStatus: 415 },
  'no content-type, GET': { httpStatus: 415 },
  'unknown method': { grpcStatus: UNIMPLEMENTED, grpcMessage: 'The server does not implement the method /helloworld.Greeter/Nope' },
  'unknown service': { grpcStatus: UNIMPLEMENTED },
  'a malformed grpc-timeout': { grpcStatus: INTERNAL },
  '64 KiB of metadata': { cut: true },
  '1 MiB of metadata': { cut: true },
  'bytes that are not HTTP/2': { cut: true },
  'the HTTP/2 preface then garbage frames': { cut: true },
};
const ROUNDS = 2;
const GOOD_CALL_INTERVAL_MS = 5;

t.test('bad input interleaved with good calls: each bad request gets a clear answer, every good call succeeds, the server lives', async (t) => {
  const server = await spawnServer(t);
  const client = greeterClient(connect(server.address, { insecure: true }));
  t.teardown(() => client.close());

  let fuzzing = true;
  const good: grpc.status[] = [];
  const goodCalls = (async () => {
    while (fuzzing && good.length < 5000) {
      good.push((await sayHello(client, { name: 'Ada' }, { deadline: Date.now() + 10_000 })).status.code);
      await new Promise((resolve) => setTimeout(resolve, GOOD_CALL_INTERVAL_MS));
    }
  })();

  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const input of BAD_INPUTS) {
      const outcome = await input.send(server.address);
      t.match(outcome, EXPECTED[input.name] ?? { expected: 'an entry in EXPECTED' }, `round ${round}: ${input.name}`);
      good.push((await sayHello(client, { name: 'Ada' }, { deadline: Date.now() + 10_000 })).status.code);
    }
  }
  fuzzing = false;
  await goodCalls;

  t.ok(good.length >= ROUNDS * BAD_INPUTS.length, `${good.length} good calls ran between and alongside`);
  t.same(good.filter((code) => code !== OK), [], 'every good call succeeded');
  t.equal(server.child.exitCode, null, 'the server process is still running');
  t.equal((await sayHello(client, { name: 'Ada' })).status.code, OK, 'and still answering');
});
