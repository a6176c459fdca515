import { once } from 'node:events';
import { connect } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { collect } from '../helpers/calls.js';
import { accessLine, eventually, serverTurns, settled, startServer } from '../helpers/server.js';

const REPLIES = '/helloworld.Greeter/LotsOfReplies';

function pendingTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

t.test('a client cancel mid-stream stops the server writing and leaves no timer running', async (t) => {
  const { client, logs, server } = await startServer(t);
  const timersBefore = pendingTimers();
  const call = client().LotsOfReplies({ name: 'Ada', count: 1000, interval_ms: 20 });
  const outcome = collect(call);
  let received = 0;
  await new Promise<void>((resolve) =>
    call.on('data', () => {
      if (++received === 3) resolve();
    }),
  );
  call.cancel();
  const { status } = await outcome;
  t.equal(status.code, grpc.status.CANCELLED);

  const line = await accessLine(logs, REPLIES);
  t.equal(line.code, 'CANCELLED', 'the server saw the cancel');
  const sentAtCancel = line.messages_out as number;
  t.ok(sentAtCancel >= 3 && sentAtCancel < 1000, `the server stopped after ${sentAtCancel} replies`);
  // The line is written as the call leaves the list, just before its handler hears of the cancel.
  t.equal(server.inFlight().length, 0, 'no call in flight');
  t.ok(pendingTimers() <= timersBefore, 'no reply timer left running');
});

/** A HelloRequest on the wire, length-prefixed: name "Ada", count 100, interval_ms 100. */
const SLOW_REPLIES_REQUEST = Buffer.from([0, 0, 0, 0, 9, 0x0a, 3, 0x41, 0x64, 0x61, 0x10, 100, 0x18, 100]);

t.test('a deadline that passes mid-stream ends the call with DEADLINE_EXCEEDED and stops the server', async (t) => {
  const { address, logs, server } = await startServer(t);
  // A bare HTTP/2 client sends the deadline (grpc-timeout) but keeps no timer of its own, so only the
  // server's can end the call: a grpc-js client's would race it, and win as CANCELLED when it fires first.
  const session = connect(`http://${address}`);
  session.on('error', () => {}); // the server's own teardown may end it first
  t.teardown(() => session.close());
  const stream = session.request({
    ':method': 'POST',
    ':path': REPLIES,
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': '350m',
  });
  stream.end(SLOW_REPLIES_REQUEST);
  stream.resume();
  const trailers = await new Promise<Record<string, unknown>>((resolve) => stream.once('trailers', resolve));
  t.equal(trailers['grpc-status'], String(grpc.status.DEADLINE_EXCEEDED), 'the client is told DEADLINE_EXCEEDED');
  const line = await accessLine(logs, REPLIES);
  t.equal(line.code, 'DEADLINE_EXCEEDED', 'the server logged the deadline');
  const sent = line.messages_out as number;
  t.ok(sent >= 1 && sent < 100, `the server stopped writing after ${sent} replies`);
  t.equal(server.inFlight().length, 0, 'no call in flight');
});

t.test('LotsOfReplies stops writing while the client is not reading and resumes when it reads', async (t) => {
  const { client, server } = await startServer(t);
  const count = 20_000;
  const call = client().LotsOfReplies({ name: 'Ada', count, response_size: 1024 });
  let received = 0;
  // Read a few, then stop reading. (A grpc-js client that never starts reading buffers
  // replies in its own memory instead of pushing back; one that has read applies HTTP/2
  // flow control, which is what a slow consumer looks like to the server.)
  await new Promise<void>((resolve) =>
    call.on('data', () => {
      received += 1;
      if (received === 5) {
        call.pause();
        resolve();
      }
    }),
  );
  const sent = () => server.inFlight().find((c) => c.method === REPLIES)?.messagesOut;
  const stalledAt = await settled(sent, client(), 'the server to stop writing while the stream is open');
  t.ok(stalledAt < count / 10, `the server paused after ${stalledAt} of ${count} replies`);

  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.resume();
  t.equal((await status).code, grpc.status.OK);
  t.equal(received, count, 'every reply arrived once the client read again');
});

t.test('BidiHello stops reading while the client does not read its replies', async (t) => {
  const { client, server } = await startServer(t);
  const other = client();
  const call = client().BidiHello();
  let received = 0;
  call.on('data', () => (received += 1));
  call.write({ name: 'Ada' });
  await eventually(() => received === 1, 5000, 'the first reply');
  call.pause();
  // Ask for 16 KiB replies and keep writing (honouring our own back-pressure) until the
  // server stops taking requests because we are not reading what it sends.
  const payload = Buffer.alloc(4096);
  let written = 1;
  // Pushed back: our writes do not drain while the server answers other calls.
  const drained = (): Promise<boolean> => Promise.race([once(call, 'drain').then(() => true), serverTurns(other).then(() => false)]);
  while (written < 5000) {
    written += 1;
    if (!call.write({ name: 'Ada', response_size: 16 * 1024, payload }) && !(await drained())) break;
  }
  t.ok(written < 5000, `the client was pushed back after ${written} writes`);
  const taken = () => server.inFlight().find((c) => c.method === '/helloworld.Greeter/BidiHello')?.messagesIn;
  const stoppedAt = await settled(taken, other, 'the server to stop reading');
  t.ok(stoppedAt < written, `the server stopped reading at ${stoppedAt} of ${written} requests`);

  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.end();
  call.resume();
  t.equal((await status).code, grpc.status.OK);
  t.equal(received, written, 'every request was answered once the client read again');
});
