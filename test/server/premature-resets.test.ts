// A rapid-reset flood (HEADERS then RST_STREAM at once, thousands a second)
// gets its connection closed within its first 1,000 resets, so within a
// second, with one WARNING line, while a
// well-behaved client on another connection keeps getting OK: on Node 22 by
// the premature-reset rule (premature-resets.ts), nghttp2's own limit lifted;
// on Node 20 by whichever comes first. And what Node 20 cannot do: carry a
// proxy's cancels past nghttp2's limit.
import * as grpc from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { nodeTakesResetLimit } from '../../src/server/call-transport.js';
import { MIN_STREAMS } from '../../src/server/premature-resets.js';
import { helloworld } from '../../src/proto.js';
import { cancellationStorm, rapidResetFlood } from '../helpers/cancellations.js';
import { sayHello } from '../helpers/calls.js';
import { node22 } from '../helpers/npm-package.js';
import { spawnServer } from '../helpers/process.js';
import { startServer, type LogLine } from '../helpers/server.js';

const ENHANCE_YOUR_CALM = 0xb;
const INTERNAL_ERROR = 0x2;

/** SayHello calls one after another on a connection of their own until `done` resolves; their status codes. */
async function wellBehaved(address: string, done: Promise<unknown>): Promise<grpc.status[]> {
  const client = new helloworld.Greeter(address, grpc.credentials.createInsecure());
  let over = false;
  void done.finally(() => (over = true));
  const codes: grpc.status[] = [];
  // At least 100 calls, so that one failure is 1 %.
  while (!over || codes.length < 100) codes.push((await sayHello(client, { name: 'Ada' }, { deadline: Date.now() + 5000 })).status.code);
  client.close();
  return codes;
}

async function floodIsCut(t: Test, address: string, logs: () => LogLine[], byRule: boolean): Promise<void> {
  const flood = rapidResetFlood(address);
  const codes = wellBehaved(address, flood);
  const run = await flood;
  // Within 1,000 resets (the first second of a flood of thousands a second), or within a second at the client's
  // pace: the client counts every reset it sent before it saw the GOAWAY, and a client that outruns a server on a
  // loaded machine has sent more than the server had read when it decided; a slow client sends fewer.
  t.ok(
    run.closedAfterResets !== undefined && (run.closedAfterResets <= 1000 || (run.closedAfterMs !== undefined && run.closedAfterMs <= 1000)),
    `the flooding connection was closed after ${run.closedAfterResets} resets (${run.closedAfterMs} ms at this client's pace)`,
  );
  const ok = (await codes).filter((code) => code === grpc.status.OK).length;
  t.ok(ok / (await codes).length >= 0.99, `the well-behaved client got OK for ${ok} of ${(await codes).length} calls`);
  if (byRule) {
    t.equal(run.goaway, ENHANCE_YOUR_CALM, 'closed with GOAWAY(ENHANCE_YOUR_CALM)');
    const warnings = logs().filter((l) => l.severity === 'WARNING' && /^closed a connection whose client reset/.test(l.message));
    t.equal(warnings.length, 1, 'one WARNING line');
    t.ok(Number(warnings[0]?.premature_resets) * 2 > MIN_STREAMS, 'counted over at least MIN_STREAMS streams');
  }
}

t.test('on Node 22, a rapid-reset flood is closed within 1,000 resets by the premature-reset rule; another client keeps OK', async (t) => {
  const server = await spawnServer(t, { LOG_LEVEL: 'info' }, await node22());
  await floodIsCut(t, server.address, server.logs, true);
});

t.test(`on this Node (${process.version}), a rapid-reset flood is closed within 1,000 resets; another client keeps OK`, async (t) => {
  const server = await spawnServer(t, { LOG_LEVEL: 'info' });
  await floodIsCut(t, server.address, server.logs, nodeTakesResetLimit());
});

t.test('on Node 20, nghttp2 still closes a connection carrying 200 client cancels a second once they pass 1,000 + 33/s (README, Streams and resets)', { skip: nodeTakesResetLimit() && 'this Node lifts the limit: cancel-storm.test.ts' }, async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'info' });
  t.ok(server.logs.some((l) => /cannot lift nghttp2's rapid-reset limit/.test(l.message)), 'the server says so at start-up');
  const run = await cancellationStorm(server.address, 200, 60_000);
  t.equal(run.goaway, INTERNAL_ERROR, `GOAWAY(INTERNAL_ERROR) after ${run.cancelled} cancels in ${run.ms} ms`);
  t.ok(run.cancelled > 1000, 'past the burst of 1,000');
});
