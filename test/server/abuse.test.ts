// Each attack on the server's resources, at a small scale, over real sockets:
// a well-behaved client on another connection keeps getting OK, the attacker's
// calls end with the documented status, and each bad call's access line says
// what its client saw. bench/abuse.ts runs the same attacks at full scale.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { sayHello } from '../helpers/calls.js';
import {
  HEALTH_WATCH,
  LOTS_OF_REPLIES,
  SAY_HELLO,
  grpcFrame,
  headersWithoutData,
  healthWatches,
  openSession,
  openStream,
  partialMessages,
  rapidReset,
  silentConnections,
  undecodableMessages,
  unreadReplies,
  type RawStream,
  type StreamEnd,
} from '../helpers/attacks.js';
import { eventually, startServer, type LogLine, type TestServer } from '../helpers/server.js';

const { OK, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED } = grpc.status;
const ENHANCE_YOUR_CALM = 0xb;
const MiB = 1024 * 1024;

/** A SayHello on a connection of its own, as a well-behaved client makes it. */
async function probe(server: TestServer): Promise<grpc.status> {
  return (await sayHello(server.client(), { name: 'Ada' }, { deadline: Date.now() + 5000 })).status.code;
}

/** The ends of `streams` so far, filled in as each ends. */
function endings(streams: readonly RawStream[]): StreamEnd[] {
  const ends: StreamEnd[] = [];
  for (const s of streams) void s.ended.then((end) => ends.push(end));
  return ends;
}

function linesFor(logs: LogLine[], method: string): LogLine[] {
  return logs.filter((line) => line.method === method);
}

/** RESOURCE_EXHAUSTED as the client saw it: the status itself, or a reset with ENHANCE_YOUR_CALM (which gRPC clients report as RESOURCE_EXHAUSTED). */
function resourceExhausted(end: StreamEnd): boolean {
  return end.grpcStatus === RESOURCE_EXHAUSTED || (end.grpcStatus === undefined && end.rstCode === ENHANCE_YOUR_CALM);
}

t.test('one connection cannot take every call slot: streams beyond MAX_CONCURRENT_STREAMS wait, and another connection gets OK', async (t) => {
  const server = await startServer(t, { MAX_CONCURRENT_CALLS: '20', MAX_CONCURRENT_STREAMS: '5', REQUEST_TIMEOUT_MS: '0' });
  const attack = await headersWithoutData(server.address, 30, 30);
  t.teardown(attack.close);
  await eventually(() => server.server.inFlight().length === 5, 5000, 'the attacker to hold its 5 streams');
  t.equal(await probe(server), OK, 'a client on another connection is served');
  t.equal(server.server.inFlight().length, 5, 'the attacking connection holds no more than its 5 streams');
});

t.test('a unary call whose request never arrives ends with DEADLINE_EXCEEDED after REQUEST_TIMEOUT_MS, freeing its slot', async (t) => {
  const server = await startServer(t, { MAX_CONCURRENT_CALLS: '4', REQUEST_TIMEOUT_MS: '300' });
  const attack = await headersWithoutData(server.address, 4, 4);
  t.teardown(attack.close);
  await eventually(() => server.server.inFlight().length === 4, 5000, 'the attacker to fill every slot');

  const ends = await Promise.all(attack.streams.map((s) => s.ended));
  for (const end of ends) {
    t.equal(end.grpcStatus, DEADLINE_EXCEEDED);
    t.match(end.grpcMessage, /did not arrive within 300 ms .*REQUEST_TIMEOUT_MS/);
  }
  t.equal(await probe(server), OK, 'the freed slots serve a well-behaved client');
  const lines = linesFor(server.logs, SAY_HELLO).filter((l) => l.code === 'DEADLINE_EXCEEDED');
  t.equal(lines.length, 4, 'one access line per timed-out call');
  t.match(lines[0], { severity: 'WARNING', details: /REQUEST_TIMEOUT_MS/, messages_in: 0 });
});

t.test('a server-streaming call with half its request message ends the same way; a client stream that is slow to send does not', async (t) => {
  const server = await startServer(t, { REQUEST_TIMEOUT_MS: '300' });
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  const half = openStream(session, LOTS_OF_REPLIES, grpcFrame(Buffer.alloc(10), { length: 20 }), false);
  const greetings = openStream(session, '/helloworld.Greeter/LotsOfGreetings', undefined, false);
  t.equal((await half.ended).grpcStatus, DEADLINE_EXCEEDED);
  t.equal(server.server.inFlight().length, 1, 'LotsOfGreetings may take its time: its client decides when it ends');
  greetings.stream.end(grpcFrame(Buffer.from([0x0a, 0x03, 0x41, 0x64, 0x61])));
  t.equal((await greetings.ended).grpcStatus, OK);
});

t.test('partial request messages beyond the memory budget are ended with RESOURCE_EXHAUSTED, the largest first', async (t) => {
  // MEMORY_LIMIT_MIB=64: calls may hold 8 MiB. Eight streams each send 2 MiB of a 4 MiB message.
  const server = await startServer(t, { MEMORY_LIMIT_MIB: '64' });
  const attack = await partialMessages(server.address, 8, 4, 4 * MiB, 2 * MiB);
  t.teardown(attack.close);
  const ended = endings(attack.streams);
  await eventually(() => ended.filter(resourceExhausted).length >= 4, 5000, 'the calls holding 16 MiB to be cut to within the 8 MiB budget');
  t.match(ended.find((end) => end.grpcMessage !== undefined)?.grpcMessage, /memory budget for calls in progress \(8 MiB, from MEMORY_LIMIT_MIB\)/);
  t.equal(await probe(server), OK);
  await eventually(
    () => linesFor(server.logs, SAY_HELLO).filter((l) => l.code === 'RESOURCE_EXHAUSTED').length === ended.filter(resourceExhausted).length,
    5000,
    'an access line for each call cut, with the status its client saw',
  );
  t.ok(server.logs.some((l) => l.severity === 'WARNING' && /over the memory budget of 8 MiB/.test(l.message)), 'the shedding is logged');
});

t.test('a connection whose client never reads its replies is closed, with one WARNING naming the peer, and its calls logged UNAVAILABLE', async (t) => {
  // MEMORY_LIMIT_MIB=64: calls may hold 8 MiB, a connection 2 MiB. Four connections of four streams each hold 4 MiB their clients never take.
  const server = await startServer(t, { MEMORY_LIMIT_MIB: '64' });
  const attack = await unreadReplies(server.address, 16, 4, MiB);
  t.teardown(attack.close);
  const warnings = (): LogLine[] => server.logs.filter((l) => /^closed the connection from /.test(l.message));
  await eventually(() => server.server.inFlight().length === 0, 10_000, 'every unread call to end with its connection');
  t.equal(await probe(server), OK, 'a client on another connection is served');
  const peers = warnings().map((l) => l.peer);
  await eventually(() => attack.sessions.filter((s) => s.destroyed || s.closed).length === peers.length, 5000, 'each connection named to be closed');
  t.equal(new Set(peers).size, peers.length, 'one WARNING per connection');
  t.ok(peers.length >= 1 && peers.length <= 4, `${peers.length} connections closed by the bound (the others by the calls' budget)`);
  t.match(warnings()[0], { severity: 'WARNING', peer: /^127\.0\.0\.1:\d+$/, held_bytes: Number, calls: Number, reason: /sent nothing/ });
  const lines = linesFor(server.logs, LOTS_OF_REPLIES);
  t.equal(lines.length, 16, 'one access line per call');
  t.ok(
    lines.every((l) => (l.code === 'UNAVAILABLE' && /connection closed by the server/.test(l.details as string)) || l.code === 'RESOURCE_EXHAUSTED'),
    'each says what its client got: its connection closed, or its stream reset for the budget',
  );
  const ended = server.logs.filter((l) => /over the memory budget/.test(l.message)).reduce((n, l) => n + Number(l.ended), 0);
  t.ok(ended <= 16, `the budget's WARNINGs count each call once (${ended} ended for 16 calls)`);
});

t.test('health Watch streams beyond MAX_HEALTH_WATCHES are refused with RESOURCE_EXHAUSTED; Check and other calls still pass', async (t) => {
  const server = await startServer(t, { MAX_HEALTH_WATCHES: '3' });
  const attack = await healthWatches(server.address, 5, 5);
  t.teardown(attack.close);
  const refused = await Promise.all(attack.streams.slice(3).map((s) => s.ended));
  for (const end of refused) {
    t.equal(end.grpcStatus, RESOURCE_EXHAUSTED);
    t.match(end.grpcMessage, /3 health Watch streams \(MAX_HEALTH_WATCHES\)/);
  }
  t.equal(server.server.inFlight().filter((c) => c.method === HEALTH_WATCH).length, 3, 'the first three stay open');
  t.equal(await probe(server), OK);
  const lines = linesFor(server.logs, HEALTH_WATCH);
  t.equal(lines.length, 2);
  t.match(lines[0], { code: 'RESOURCE_EXHAUSTED', severity: 'WARNING' });
});

t.test('a flood of refused health Watches and undecodable messages writes at most 10 lines and a summary per client, none an ERROR', async (t) => {
  const server = await startServer(t, { MAX_HEALTH_WATCHES: '5' });
  const watches = await healthWatches(server.address, 300, 100);
  t.teardown(watches.close);
  const undecodable = await undecodableMessages(server.address, 300, 100);
  t.teardown(undecodable.close);
  const refused = (await Promise.all(watches.streams.slice(5).map((s) => s.ended))).filter((e) => e.grpcStatus === RESOURCE_EXHAUSTED);
  const rejected = (await Promise.all(undecodable.streams.map((s) => s.ended))).filter((e) => e.grpcStatus === grpc.status.INTERNAL);
  t.equal(refused.length + rejected.length, 595, 'every refused Watch and every undecodable message got its status');
  t.equal(await probe(server), OK);
  const summaries = (): LogLine[] => server.logs.filter((l) => /ended before their handler/.test(l.message));
  await eventually(() => summaries().length > 0, 15_000, 'the window summary');
  const lines = server.logs.filter((l) => l.method === HEALTH_WATCH || (l.method === SAY_HELLO && l.code !== 'OK'));
  const counted = summaries().reduce((n, l) => n + Number(l.not_logged), 0);
  t.ok(lines.length <= 10 * summaries().length + 10, `${lines.length} lines for 595 refusals and rejections`);
  t.equal(lines.length + counted, 595, 'each is logged or counted in a summary');
  t.match(summaries()[0], { severity: 'WARNING', peer: '127.0.0.1' });
  t.same(lines.filter((l) => l.severity === 'ERROR'), [], 'a client\'s malformed message is never an ERROR');
});

t.test('connections that never send the HTTP/2 preface are closed by keepalive', async (t) => {
  const server = await startServer(t, { KEEPALIVE_TIME_MS: '100', KEEPALIVE_TIMEOUT_MS: '100' });
  const silent = await silentConnections(server.address, 10);
  t.teardown(silent.close);
  await eventually(() => silent.closed() === 10, 5000, 'the server to close every silent connection');
  t.equal(await probe(server), OK);
});

t.test('a connection with no call for MAX_CONNECTION_IDLE_MS is closed with a GOAWAY', async (t) => {
  const server = await startServer(t, { MAX_CONNECTION_IDLE_MS: '200' });
  const session = await openSession(server.address);
  t.teardown(() => session.destroy());
  const goaway = new Promise<number>((resolve) => session.once('goaway', resolve));
  t.equal(await goaway, 0, 'GOAWAY with NO_ERROR');
});

t.test('rapid reset: the resets cannot flood the log, none is an ERROR, and well-behaved calls still pass', async (t) => {
  const server = await startServer(t);
  const run = await rapidReset(server.address, 2000);
  t.teardown(() => run.sessions.forEach((s) => s.destroy()));
  t.equal(await probe(server), OK);
  await eventually(() => server.server.inFlight().length === 0, 5000, 'every reset call to have left the calls in flight');
  // A run can outlast one rate-limit window: each window logs up to 10 lines and ends with its own summary.
  const summaries = (): typeof server.logs => server.logs.filter((l) => /ended before their handler .* were not logged one by one/.test(l.message));
  const logged = (): typeof server.logs => linesFor(server.logs, SAY_HELLO).filter((l) => l.code !== 'OK');
  const counted = (): number => summaries().reduce((n, l) => n + Number(l.not_logged), 0) + logged().length;
  // Every reset the server saw as a call is either logged or counted; one reset before grpc-js made a call of it is neither.
  await eventually(() => summaries().length > 0, 15_000, 'a window summary');
  t.ok(counted() <= run.resets && summaries().every((l) => Number(l.not_logged) > 0), `${counted()} of ${run.resets} resets logged or counted`);
  const lines = logged();
  const windows = summaries().length;
  t.ok(windows >= 1 && lines.length <= 10 * (windows + 1), `${lines.length} lines in ${windows} window(s) for ${run.resets} resets`);
  // A reset that came after the client's END_STREAM met grpc-js's UNIMPLEMENTED (no request message) first.
  t.same(lines.filter((l) => !['CANCELLED', 'UNIMPLEMENTED'].includes(l.code as string) || l.severity !== 'INFO'), [], 'each one logged is at INFO');
  t.same(summaries().filter((l) => l.severity !== 'WARNING'), [], 'each summary is a WARNING');
});
