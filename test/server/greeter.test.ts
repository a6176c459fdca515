import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { MAX_NAME_LENGTH, MAX_REPLIES } from '../../src/server/greeter.js';
import { collect, lotsOfGreetings, sayHello } from '../helpers/calls.js';
import { accessLine, startServer } from '../helpers/server.js';

t.test('SayHello answers with a greeting that contains the name', async (t) => {
  const { client } = await startServer(t);
  const { replies, status } = await sayHello(client(), { name: 'Ada' });
  t.equal(status.code, grpc.status.OK);
  t.equal(replies.length, 1);
  t.match(replies[0]!.message, /Ada/);
});

t.test('SayHello rejects an empty name with INVALID_ARGUMENT that says what is wrong', async (t) => {
  const { client } = await startServer(t);
  const { status } = await sayHello(client(), { name: '' });
  t.equal(status.code, grpc.status.INVALID_ARGUMENT);
  t.match(status.details, /name is empty/);
});

t.test('SayHello rejects a name over the maximum length with INVALID_ARGUMENT', async (t) => {
  const { client } = await startServer(t);
  const { status } = await sayHello(client(), { name: 'x'.repeat(MAX_NAME_LENGTH + 1) });
  t.equal(status.code, grpc.status.INVALID_ARGUMENT);
  t.match(status.details, `${MAX_NAME_LENGTH + 1} characters long; the maximum is ${MAX_NAME_LENGTH}`);
});

t.test('SayHello fills a reply with response_size bytes of payload when asked', async (t) => {
  const { client } = await startServer(t);
  const { replies } = await sayHello(client(), { name: 'Ada', response_size: 5000 });
  t.equal(replies[0]!.payload.length, 5000);
});

t.test('SayHello rejects response_size, interval_ms and count above their maxima', async (t) => {
  const { client } = await startServer(t);
  for (const [field, value] of [['response_size', 2 ** 20 + 1], ['interval_ms', 60_001], ['count', MAX_REPLIES + 1]] as const) {
    const { status } = await sayHello(client(), { name: 'Ada', [field]: value });
    t.equal(status.code, grpc.status.INVALID_ARGUMENT, field);
    t.match(status.details, new RegExp(`^${field} is ${value}; the maximum is`), field);
  }
});

t.test('LotsOfReplies sends exactly the requested number of replies, in order', async (t) => {
  const { client } = await startServer(t);
  const { replies, status } = await collect(client().LotsOfReplies({ name: 'Ada', count: 25 }));
  t.equal(status.code, grpc.status.OK);
  t.same(replies.map((r) => r.sequence), Array.from({ length: 25 }, (_, i) => i + 1));
  t.match(replies[24]!.message, /Ada.*25 of 25/);
});

t.test('LotsOfReplies sends 10 replies when count is not set', async (t) => {
  const { client } = await startServer(t);
  const { replies } = await collect(client().LotsOfReplies({ name: 'Ada' }));
  t.equal(replies.length, 10);
});

t.test('LotsOfReplies spaces replies by interval_ms', async (t) => {
  const { client, logs } = await startServer(t);
  const { replies, status } = await collect(client().LotsOfReplies({ name: 'Ada', count: 3, interval_ms: 50 }));
  t.equal(status.code, grpc.status.OK);
  t.equal(replies.length, 3);
  // Measured on the server, where the waits happen (the client may receive the replies in one batch):
  // three replies with two 50 ms waits between them cannot take less than 100 ms.
  const line = await accessLine(logs, '/helloworld.Greeter/LotsOfReplies');
  t.ok((line.duration_ms as number) >= 99, `the stream lasted ${line.duration_ms} ms on the server`);
});

t.test('LotsOfReplies with a count above the maximum fails with INVALID_ARGUMENT', async (t) => {
  const { client } = await startServer(t);
  const { replies, status } = await collect(client().LotsOfReplies({ name: 'Ada', count: MAX_REPLIES + 1 }));
  t.equal(status.code, grpc.status.INVALID_ARGUMENT);
  t.match(status.details, /count is 1000001; the maximum is 1000000/);
  t.equal(replies.length, 0);
});

t.test('LotsOfGreetings answers once at half-close with how many greetings it received', async (t) => {
  const { client } = await startServer(t);
  const names = ['Ada', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];
  const { replies, status } = await lotsOfGreetings(client(), names.map((name) => ({ name })));
  t.equal(status.code, grpc.status.OK);
  t.equal(replies.length, 1);
  t.equal(replies[0]!.sequence, 7);
  t.equal(replies[0]!.message, 'Hello, Ada, Grace, Edsger and 4 more! (7 greetings received)');
});

t.test('LotsOfGreetings with no messages answers that it received none', async (t) => {
  const { client } = await startServer(t);
  const { replies, status } = await lotsOfGreetings(client(), []);
  t.equal(status.code, grpc.status.OK);
  t.equal(replies[0]!.sequence, 0);
  t.match(replies[0]!.message, /nobody.*0 greetings/);
});

t.test('LotsOfGreetings fails with INVALID_ARGUMENT naming the bad message', async (t) => {
  const { client } = await startServer(t);
  const { status } = await lotsOfGreetings(client(), [{ name: 'Ada' }, { name: '' }, { name: 'Ken' }]);
  t.equal(status.code, grpc.status.INVALID_ARGUMENT);
  t.match(status.details, /^message 2: name is empty/);
});

t.test('BidiHello answers each message as it arrives, before the client half-closes', async (t) => {
  const { client } = await startServer(t);
  const call = client().BidiHello();
  const outcome = collect(call);
  const received: number[] = [];
  for (const name of ['Ada', 'Grace', 'Ken']) {
    const reply = new Promise<number>((resolve) => call.once('data', (r: { sequence: number }) => resolve(r.sequence)));
    call.write({ name });
    received.push(await reply);
  }
  call.end();
  const { replies, status } = await outcome;
  t.same(received, [1, 2, 3]);
  t.equal(status.code, grpc.status.OK);
  t.same(replies.map((r) => r.message), ['Hello, Ada!', 'Hello, Grace!', 'Hello, Ken!']);
});

t.test('BidiHello ends with INVALID_ARGUMENT on a bad message', async (t) => {
  const { client } = await startServer(t);
  const call = client().BidiHello();
  const outcome = collect(call);
  call.write({ name: 'Ada' });
  call.write({ name: '' });
  call.end();
  const { replies, status } = await outcome;
  t.equal(status.code, grpc.status.INVALID_ARGUMENT);
  t.match(status.details, /^message 2: name is empty/);
  t.equal(replies.length, 1);
});

t.test('gzip-compressed requests are accepted', async (t) => {
  const { client, logs } = await startServer(t);
  const gzip = client({ 'grpc.default_compression_algorithm': 2 });
  const { replies, status } = await sayHello(gzip, { name: 'Ada', payload: Buffer.alloc(10_000, 'a') });
  t.equal(status.code, grpc.status.OK);
  t.match(replies[0]!.message, /Ada/);
  t.equal((await accessLine(logs, '/helloworld.Greeter/SayHello')).code, 'OK');
});

t.test('a message over the receive limit fails with RESOURCE_EXHAUSTED and the server keeps serving', async (t) => {
  const { client } = await startServer(t, { MAX_RECEIVE_MESSAGE_BYTES: String(64 * 1024) });
  const greeter = client();
  const big = await sayHello(greeter, { name: 'Ada', payload: Buffer.alloc(100 * 1024) });
  t.equal(big.status.code, grpc.status.RESOURCE_EXHAUSTED);
  t.match(big.status.details, /larger than max/i);
  const after = await sayHello(greeter, { name: 'Ada' });
  t.equal(after.status.code, grpc.status.OK, 'the next call on the same channel succeeds');
});
