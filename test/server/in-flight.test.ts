import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { eventually, startServer } from '../helpers/server.js';

const REPLIES = '/helloworld.Greeter/LotsOfReplies';
const BIDI = '/helloworld.Greeter/BidiHello';
const GREETINGS = '/helloworld.Greeter/LotsOfGreetings';

t.test('the calls in flight are listed oldest first, and a call that ends leaves the list from wherever it is', async (t) => {
  const { client, server } = await startServer(t);
  const greeter = client();
  const methods = (): string[] => server.inFlight().map((call) => call.method);
  const ended = (call: grpc.Call) =>
    new Promise<grpc.status>((resolve) => call.on('status', (status: grpc.StatusObject) => resolve(status.code)));

  const replies = greeter.LotsOfReplies({ name: 'first', count: 60, interval_ms: 1000 });
  replies.on('error', () => {});
  await eventually(() => methods().length === 1, 5000, 'the first call to start');
  const bidi = greeter.BidiHello();
  bidi.on('error', () => {});
  await eventually(() => methods().length === 2, 5000, 'the second call to start');
  const greetings = greeter.LotsOfGreetings(() => {});
  await eventually(() => methods().length === 3, 5000, 'the third call to start');
  t.same(methods(), [REPLIES, BIDI, GREETINGS], 'in the order they started');

  const bidiEnded = ended(bidi);
  bidi.end();
  t.equal(await bidiEnded, grpc.status.OK);
  // A call the server ends leaves the list as its status is sent, before the client can see it.
  t.same(methods(), [REPLIES, GREETINGS], 'the middle call left');

  const repliesEnded = ended(replies);
  replies.cancel();
  t.equal(await repliesEnded, grpc.status.CANCELLED);
  await eventually(() => methods().length === 1, 5000, 'the oldest call to leave');
  t.same(methods(), [GREETINGS], 'the oldest call left');

  const greetingsEnded = ended(greetings);
  greetings.end();
  t.equal(await greetingsEnded, grpc.status.OK);
  t.same(methods(), [], 'the last call left');

  const again = greeter.LotsOfReplies({ name: 'again', count: 60, interval_ms: 1000 });
  again.on('error', () => {});
  await eventually(() => methods().length === 1, 5000, 'a new call to start');
  t.same(methods(), [REPLIES], 'an emptied list takes new calls');
  again.cancel();
  await eventually(() => methods().length === 0, 5000, 'the new call to leave');
});
