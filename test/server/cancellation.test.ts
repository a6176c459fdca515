import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { collect } from '../helpers/calls.js';
import { accessLine, eventually, startServer } from '../helpers/server.js';

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
  await eventually(() => server.inFlight().length === 0, 2000, 'no call in flight');
  await eventually(() => pendingTimers() <= timersBefore, 2000, 'the reply timer to be cleared');
  t.ok(pendingTimers() <= timersBefore, 'no reply timer left running');
});

t.test('a deadline that passes mid-stream ends the call with DEADLINE_EXCEEDED and stops the server', async (t) => {
  const { client, logs, server } = await startServer(t);
  const call = client().LotsOfReplies({ name: 'Ada', count: 100, interval_ms: 100 }, { deadline: Date.now() + 350 });
  const { replies, status } = await collect(call);
  t.equal(status.code, grpc.status.DEADLINE_EXCEEDED);
  t.ok(replies.length >= 1 && replies.length < 100, `${replies.length} replies arrived before the deadline`);
  // Client and server each run a timer for the same deadline; whichever fires first ends the call
  // (a client's fires first when the machine is busy and its cancel arrives as CANCELLED).
  const line = await accessLine(logs, REPLIES);
  t.match(line.code, /^(DEADLINE_EXCEEDED|CANCELLED)$/, `the server ended the call (${line.code})`);
  t.ok((line.messages_out as number) < 100, 'and stopped writing');
  await eventually(() => server.inFlight().length === 0, 2000, 'no call in flight');
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
  let previous: number | undefined = -1;
  await eventually(
    () => {
      const now = sent();
      const still = now === previous;
      previous = now;
      return still;
    },
    10_000,
    'the server to stop writing',
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stalledAt = sent();
  t.type(stalledAt, 'number', 'the stream is still open');
  t.equal(stalledAt, previous, 'the server wrote nothing more while the client was paused');
  t.ok(stalledAt! < count / 10, `the server paused after ${stalledAt} of ${count} replies`);

  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.resume();
  t.equal((await status).code, grpc.status.OK);
  t.equal(received, count, 'every reply arrived once the client read again');
});

t.test('BidiHello stops reading while the client does not read its replies', async (t) => {
  const { client, server } = await startServer(t);
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
  const drained = () => new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 500);
    call.once('drain', () => (clearTimeout(timer), resolve(true)));
  });
  while (written < 5000) {
    written += 1;
    if (!call.write({ name: 'Ada', response_size: 16 * 1024, payload }) && !(await drained())) break;
  }
  t.ok(written < 5000, `the client was pushed back after ${written} writes`);
  const taken = () => server.inFlight().find((c) => c.method === '/helloworld.Greeter/BidiHello')?.messagesIn;
  const before = taken();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(taken(), before, `the server stopped reading at ${before} requests`);
  t.ok(before! < written, 'the server read fewer requests than were written');

  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.end();
  call.resume();
  t.equal((await status).code, grpc.status.OK);
  t.equal(received, written, 'every request was answered once the client read again');
});
