// The grpc-js side of the interop matrix (run.ts): one check with the project's own connect(), the same
// checks as go/client.go and python/client.py. It runs in the runner's own process, on a channel of its
// own per check: a process per check would spend seconds loading TypeScript each time.
import * as grpc from '@grpc/grpc-js';
import { connect, deadlineIn, greeterClient } from '../../src/client/connect.js';
import type { GreeterClient } from '../../src/generated/helloworld/Greeter.js';
import type { HelloResponse__Output } from '../../src/generated/helloworld/HelloResponse.js';
import { interopProto } from '../../src/proto.js';
import { collect, lotsOfGreetings, sayHello, type Outcome } from '../helpers/calls.js';

export interface Result {
  readonly ok: boolean;
  readonly detail: string;
}

const { OK, CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED } = grpc.status;
const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';
const TRAILING_VALUE = Buffer.from([0xab, 0xcd, 0xef]);
const LONG_LIVED = 50;
/** 200 cancels a second. */
const STORM_INTERVAL_MS = 5;

const pass = (detail: string): Result => ({ ok: true, detail });
const fail = (detail: string): Result => ({ ok: false, detail });
const codeName = (code: grpc.status): string => grpc.status[code] ?? String(code);

function firstReply(call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    call.once('data', () => resolve());
    call.once('status', (status: grpc.StatusObject) => reject(new Error(`ended ${codeName(status.code)} before a reply: ${status.details}`)));
  });
}

async function shapes(greeter: GreeterClient): Promise<Result> {
  const hello = await sayHello(greeter, { name: 'Ada' });
  if (hello.replies[0]?.message !== 'Hello, Ada!') return fail(`SayHello: ${codeName(hello.status.code)} ${hello.status.details}`);
  const replies = await collect(greeter.LotsOfReplies({ name: 'Ada', count: 3 }));
  const sequences = replies.replies.map((reply) => reply.sequence).join(' ');
  if (replies.status.code !== OK || sequences !== '1 2 3') return fail(`LotsOfReplies: ${codeName(replies.status.code)}, sequences ${sequences}`);
  const greetings = await lotsOfGreetings(greeter, [{ name: 'Ada' }, { name: 'Bo' }, { name: 'Cy' }]);
  if (greetings.replies[0]?.message !== 'Hello, Ada, Bo, Cy! (3 greetings received)') return fail(`LotsOfGreetings: ${codeName(greetings.status.code)}`);
  const bidi = greeter.BidiHello();
  const outcome = collect(bidi);
  for (const name of ['Ada', 'Bo']) {
    bidi.write({ name });
    await firstReply(bidi);
  }
  bidi.end();
  const { status, replies: answered } = await outcome;
  const messages = answered.map((reply) => reply.message).join(', ');
  if (status.code !== OK || messages !== 'Hello, Ada!, Hello, Bo!') return fail(`BidiHello: ${codeName(status.code)}, ${messages}`);
  return pass('SayHello, LotsOfReplies 1 2 3, LotsOfGreetings of 3, BidiHello in turn');
}

function echoMetadata(target: string): Promise<Result> {
  const connection = connect(target, { insecure: true });
  const service = new (interopProto().grpcTesting.TestService)(connection.target, connection.credentials, connection.options);
  const sent = new grpc.Metadata();
  sent.set(ECHO_INITIAL, 'matrix');
  sent.set(ECHO_TRAILING, TRAILING_VALUE);
  return new Promise((resolve) => {
    let initial: grpc.MetadataValue[] = [];
    const call = service.UnaryCall({}, sent, (error) => error && resolve(fail(`UnaryCall: ${error.message}`)));
    call.on('metadata', (metadata: grpc.Metadata) => (initial = metadata.get(ECHO_INITIAL)));
    call.on('status', (status: grpc.StatusObject) => {
      service.close();
      const trailing = status.metadata.get(ECHO_TRAILING);
      const echoed = initial.length === 1 && initial[0] === 'matrix' && trailing.length === 1 && TRAILING_VALUE.equals(trailing[0] as Buffer);
      resolve(echoed ? pass('both keys echoed: initial in the headers, binary in the trailers') : fail(`echoed: initial ${String(initial)}, trailing ${String(trailing)}`));
    });
  });
}

async function deadline(greeter: GreeterClient): Promise<Result> {
  const started = performance.now();
  const { status, replies } = await collect(greeter.LotsOfReplies({ name: 'Ada', count: 100, interval_ms: 100 }, { deadline: deadlineIn(300) }));
  const took = Math.round(performance.now() - started);
  const detail = `${codeName(status.code)} after ${replies.length} replies in ${took} ms`;
  return status.code === DEADLINE_EXCEEDED && took < 3000 ? pass(detail) : fail(detail);
}

async function cancelMidStream(greeter: GreeterClient): Promise<Result> {
  const bidi = greeter.BidiHello();
  const outcome = collect(bidi);
  bidi.write({ name: 'Ada' });
  await firstReply(bidi);
  bidi.cancel();
  const { status } = await outcome;
  if (status.code !== CANCELLED) return fail(`after the cancel: ${codeName(status.code)} ${status.details}`);
  const next = await sayHello(greeter, { name: 'Ada' });
  if (next.status.code !== OK) return fail(`a SayHello after the cancel: ${codeName(next.status.code)} ${next.status.details}`);
  return pass('CANCELLED after one reply; the next SayHello OK');
}

function countFailures(outcomes: Outcome<unknown>[], what: string): Result {
  const failed = outcomes.filter(({ status }) => status.code !== OK);
  const first = failed[0]?.status;
  if (first) return fail(`${failed.length} of ${outcomes.length} ${what} failed, first: ${codeName(first.code)} ${first.details}`);
  return pass(`${outcomes.length} ${what} OK`);
}

async function bigThen200(greeter: GreeterClient): Promise<Result> {
  const big = await sayHello(greeter, { name: 'Ada', payload: Buffer.alloc(5 * 1024 * 1024) });
  if (big.status.code !== RESOURCE_EXHAUSTED) return fail(`the 5 MiB SayHello ended ${codeName(big.status.code)} (${big.status.details}), not RESOURCE_EXHAUSTED`);
  const outcomes = await Promise.all(Array.from({ length: 200 }, () => sayHello(greeter, { name: 'Ada' })));
  return countFailures(outcomes, 'concurrent SayHello after the 5 MiB one');
}

async function streamTiming(greeter: GreeterClient): Promise<Result> {
  const arrivals: number[] = [];
  const call = greeter.LotsOfReplies({ name: 'Ada', count: 10, interval_ms: 100 });
  call.on('data', () => arrivals.push(performance.now()));
  const { status } = await collect(call);
  if (status.code !== OK) return fail(`after ${arrivals.length} replies: ${codeName(status.code)} ${status.details}`);
  const gaps = arrivals.slice(1).map((at, i) => Math.round(at - (arrivals[i] as number))).sort((a, b) => a - b);
  if (gaps.length !== 9) return fail(`${arrivals.length} replies, not 10`);
  const summary = `gaps ${gaps[0]}..${gaps[8]} ms, median ${gaps[4]}`;
  return (gaps[0] as number) >= 20 ? pass(`10 replies, ${summary}`) : fail(`batched: ${summary}`);
}

async function sigterm(greeter: GreeterClient, onStreaming: () => void): Promise<Result> {
  const calls = Array.from({ length: 10 }, () => greeter.LotsOfReplies({ name: 'Ada', count: 100, interval_ms: 100 }));
  const outcomes = Promise.all(calls.map((call) => collect(call)));
  await Promise.all(calls.map(firstReply));
  onStreaming();
  const seen: Record<string, number> = {};
  for (const { status } of await outcomes) seen[codeName(status.code)] = (seen[codeName(status.code)] ?? 0) + 1;
  const detail = `the 10 streams ended ${JSON.stringify(seen)}`;
  return Object.keys(seen).every((code) => code === 'OK' || code === 'UNAVAILABLE') ? pass(detail) : fail(detail);
}

/** Counts how often the channel came back to READY after leaving it (a connection replaced). */
function countReconnects(greeter: GreeterClient): { readonly count: () => number; stop(): void } {
  const channel = greeter.getChannel();
  let count = 0;
  let stopped = false;
  const watch = (state: grpc.connectivityState): void => {
    if (stopped) return;
    channel.watchConnectivityState(state, Infinity, () => {
      const now = channel.getConnectivityState(false);
      if (now === grpc.connectivityState.READY && state !== grpc.connectivityState.READY) count += 1;
      watch(now);
    });
  };
  watch(channel.getConnectivityState(false));
  return { count: () => count, stop: () => (stopped = true) };
}

/** A stream every 5 ms, each cancelled after its first reply or 5 ms, beside 50 long-lived streams. */
async function storm(greeter: GreeterClient, seconds: number): Promise<Result> {
  const reconnects = countReconnects(greeter);
  const counts = new Array<number>(LONG_LIVED).fill(0);
  const long = counts.map((_, i) => {
    const call = greeter.LotsOfReplies({ name: 'Ada', count: 1_000_000, interval_ms: 100 }, { deadline: Infinity });
    call.on('data', () => (counts[i] = (counts[i] ?? 0) + 1));
    return { call, outcome: collect(call) };
  });
  const stormed: Promise<Outcome<HelloResponse__Output>>[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    // Timers fire late under load: each tick starts every stream due by now, so the rate holds at 200/s.
    const tick = setInterval(() => {
      const due = Math.min(seconds * 1000, performance.now() - start) / STORM_INTERVAL_MS;
      while (stormed.length < due) {
        const call = greeter.LotsOfReplies({ name: 'storm', count: 1000, interval_ms: 10 }, { deadline: deadlineIn(10_000) });
        const timer = setTimeout(() => call.cancel(), STORM_INTERVAL_MS);
        call.once('data', () => (clearTimeout(timer), call.cancel()));
        stormed.push(collect(call));
      }
      if (performance.now() - start >= seconds * 1000) resolve(clearInterval(tick));
    }, STORM_INTERVAL_MS);
  });
  const failed = (await Promise.all(stormed)).filter(({ status }) => status.code !== CANCELLED);
  const before = [...counts];
  for (let waited = 0; waited < 200 && counts.some((count, i) => count === before[i]); waited++) await new Promise((resolve) => setTimeout(resolve, 10));
  const stalled = counts.filter((count, i) => count === before[i]).length;
  long.forEach(({ call }) => call.cancel());
  const longFailed = (await Promise.all(long.map(({ outcome }) => outcome))).filter(({ status }) => status.code !== CANCELLED);
  reconnects.stop();
  const problems: string[] = [];
  const first = failed[0]?.status;
  if (first) problems.push(`${failed.length} storm calls failed (first: ${codeName(first.code)} ${first.details})`);
  const firstLong = longFailed[0]?.status;
  if (firstLong || stalled > 0) {
    const why = firstLong ? ` (first: ${codeName(firstLong.code)} ${firstLong.details})` : '';
    problems.push(`of the ${LONG_LIVED} long-lived streams ${longFailed.length} ended early${why}, ${stalled} stalled`);
  }
  if (reconnects.count() > 0) problems.push(`the connection was replaced ${reconnects.count()} times`);
  const summary = `${stormed.length - failed.length} cancels in ${seconds}s`;
  return problems.length > 0 ? fail(`${summary}; ${problems.join('; ')}`) : pass(`${summary}, none failed; ${LONG_LIVED} long-lived streams kept receiving`);
}

const CHECKS: Record<string, (greeter: GreeterClient, target: string, stormSeconds: number, onStreaming: () => void) => Promise<Result>> = {
  shapes,
  metadata: (_greeter, target) => echoMetadata(target),
  deadline,
  cancel: cancelMidStream,
  'big-then-200': bigThen200,
  'stream-timing': streamTiming,
  sigterm: (greeter, _target, _seconds, onStreaming) => sigterm(greeter, onStreaming),
  storm: (greeter, _target, seconds) => storm(greeter, seconds),
};

/** Runs `check` against `target` on a channel of its own; the sigterm check calls `onStreaming` once its streams are under way. */
export async function runGrpcJsCheck(check: string, target: string, stormSeconds: number, onStreaming: () => void): Promise<Result> {
  const run = CHECKS[check];
  if (run === undefined) return fail(`no check named ${check}`);
  const greeter = greeterClient(connect(target, { insecure: true }));
  try {
    await new Promise<void>((resolve, reject) => greeter.waitForReady(deadlineIn(10_000), (error) => (error ? reject(error) : resolve())));
    return await run(greeter, target, stormSeconds, onStreaming);
  } catch (error) {
    return fail((error as Error).message);
  } finally {
    greeter.close();
  }
}
