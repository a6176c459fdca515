// npm run bench:memory: server memory under many open streams and under a
// client that does not read.
//  1. 1,000 concurrent open BidiHello streams (each has sent one message and
//     had its reply): server RSS per stream, project vs baseline.
//  2. A slow consumer: LotsOfReplies for 1,000,000 replies on a raw HTTP/2
//     stream that is never read for 10 s. Server RSS must stay within 64 MiB of
//     where it started (flow control respected) while SayHello keeps answering.
// Median of --runs (default 3) fresh servers each; prints and writes JSON.
import { connect as http2Connect } from 'node:http2';
import { connect, greeterClient } from '../src/client/connect.js';
import type { GreeterClient } from '../src/generated/helloworld/Greeter.js';
import { helloworld } from '../src/proto.js';
import { median, numberFlag, ratio, rssMiB, sleep, startServer, writeResults, type BenchServer, type ServerKind } from './servers.js';

const RUNS = numberFlag('--runs', 3);
const STREAMS = 1000;
const STREAM_CONNECTIONS = 4;
const SLOW_REPLIES = 1_000_000;
const SLOW_FOR_MS = 10_000;
const SLOW_LIMIT_MIB = 64;
const KINDS: readonly ServerKind[] = ['project', 'baseline'];
/** The project's limit would refuse stream 1,001; this measurement is about memory, so lift it. */
const PROJECT_ENV = { MAX_CONCURRENT_CALLS: '0' };

function clients(address: string, n: number): GreeterClient[] {
  return Array.from({ length: n }, () =>
    greeterClient(connect(address, { insecure: true, channelOptions: { 'grpc.use_local_subchannel_pool': 1 } })),
  );
}

function sayHello(client: GreeterClient): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) =>
    client.SayHello({ name: 'probe' }, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve(performance.now() - started))),
  );
}

async function settledRss(pid: number): Promise<number> {
  await sleep(1000);
  return rssMiB(pid);
}

/** RSS per open stream, in KiB. */
async function openStreams(server: BenchServer): Promise<{ beforeMiB: number; openMiB: number; afterMiB: number; perStreamKiB: number }> {
  const pool = clients(server.address, STREAM_CONNECTIONS);
  await Promise.all(pool.map((c) => sayHello(c)));
  const beforeMiB = await settledRss(server.pid);
  const calls = Array.from({ length: STREAMS }, (_, i) => pool[i % STREAM_CONNECTIONS]!.BidiHello());
  await Promise.all(
    calls.map((call, i) => {
      call.on('error', () => {});
      call.write({ name: `stream ${i}` });
      return new Promise((resolve) => call.once('data', resolve));
    }),
  );
  const openMiB = await settledRss(server.pid);
  const ended = calls.map((call) => new Promise((resolve) => call.once('status', resolve)));
  calls.forEach((call) => call.end());
  await Promise.all(ended);
  const afterMiB = await settledRss(server.pid);
  pool.forEach((c) => c.close());
  return { beforeMiB, openMiB, afterMiB, perStreamKiB: Math.round(((openMiB - beforeMiB) * 1024) / STREAMS) };
}

interface SlowConsumerResult {
  readonly startMiB: number;
  readonly maxMiB: number;
  readonly growthMiB: number;
  readonly withinLimit: boolean;
  readonly sayHelloIdleP50Ms: number;
  readonly sayHelloDuringP50Ms: number;
  readonly sayHelloDuringMaxMs: number;
  readonly sayHelloFailures: number;
}

/** A LotsOfReplies stream on raw HTTP/2 whose replies are never read, so the flow-control window fills. */
function openUnreadStream(address: string): { close(): void } {
  const session = http2Connect(`http://${address}`);
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST',
    ':path': '/helloworld.Greeter/LotsOfReplies',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => {});
  const message = helloworld.Greeter.service.LotsOfReplies.requestSerialize({ name: 'slow reader', count: SLOW_REPLIES });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  stream.end(Buffer.concat([header, message]));
  // No 'data' listener and paused: nothing is read, so no WINDOW_UPDATE is sent.
  stream.pause();
  return { close: () => session.destroy() };
}

async function slowConsumer(server: BenchServer): Promise<SlowConsumerResult> {
  const [client] = clients(server.address, 1) as [GreeterClient];
  const idle: number[] = [];
  for (let i = 0; i < 50; i += 1) idle.push(await sayHello(client));
  const startMiB = await settledRss(server.pid);
  const unread = openUnreadStream(server.address);
  let maxMiB = startMiB;
  const during: number[] = [];
  let failures = 0;
  const until = performance.now() + SLOW_FOR_MS;
  while (performance.now() < until) {
    try {
      during.push(await sayHello(client));
    } catch {
      failures += 1;
    }
    maxMiB = Math.max(maxMiB, rssMiB(server.pid));
    await sleep(100);
  }
  unread.close();
  client.close();
  const growthMiB = Math.round((maxMiB - startMiB) * 10) / 10;
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    startMiB,
    maxMiB,
    growthMiB,
    withinLimit: growthMiB <= SLOW_LIMIT_MIB,
    sayHelloIdleP50Ms: round(median(idle)),
    sayHelloDuringP50Ms: round(median(during)),
    sayHelloDuringMaxMs: round(Math.max(...during)),
    sayHelloFailures: failures,
  };
}

const SLOW_FIGURES: readonly (readonly [string, (r: SlowConsumerResult) => number])[] = [
  ['slow consumer: server RSS growth, MiB', (r) => r.growthMiB],
  ['slow consumer: SayHello p50 idle, ms', (r) => r.sayHelloIdleP50Ms],
  ['slow consumer: SayHello p50 meanwhile, ms', (r) => r.sayHelloDuringP50Ms],
  ['slow consumer: SayHello max meanwhile, ms', (r) => r.sayHelloDuringMaxMs],
  ['slow consumer: SayHello failures', (r) => r.sayHelloFailures],
];

async function main(): Promise<void> {
  console.log(`memory bench: ${STREAMS} open bidi streams, and a slow consumer of ${SLOW_REPLIES} replies for ${SLOW_FOR_MS} ms; ${RUNS} runs`);
  const streams: Record<ServerKind, Awaited<ReturnType<typeof openStreams>>[]> = { project: [], baseline: [] };
  const slow: Record<ServerKind, SlowConsumerResult[]> = { project: [], baseline: [] };
  for (let run = 1; run <= RUNS; run += 1) {
    for (const kind of run % 2 === 1 ? KINDS : [...KINDS].reverse()) {
      const server = await startServer(kind, PROJECT_ENV, 'memory-bench-server');
      try {
        streams[kind].push(await openStreams(server));
        slow[kind].push(await slowConsumer(server));
      } finally {
        await server.stop();
      }
      console.log(`  run ${run} ${kind}: ${JSON.stringify(streams[kind].at(-1))} ${JSON.stringify(slow[kind].at(-1))}`);
    }
  }
  const m = (kind: ServerKind, pick: (r: SlowConsumerResult) => number): number => median(slow[kind].map(pick));
  const perStream = { project: median(streams.project.map((r) => r.perStreamKiB)), baseline: median(streams.baseline.map((r) => r.perStreamKiB)) };
  const rows = [
    { figure: `RSS per open bidi stream, KiB (${STREAMS} streams)`, ...perStream, ratio: ratio(perStream.project, perStream.baseline) },
    ...SLOW_FIGURES.map(([figure, pick]) => ({ figure, project: m('project', pick), baseline: m('baseline', pick), ratio: ratio(m('project', pick), m('baseline', pick)) })),
  ];
  const width = Math.max(...rows.map((r) => r.figure.length));
  console.log(`\n${'figure (median)'.padEnd(width)}  ${'project'.padStart(9)}  ${'baseline'.padStart(9)}  ${'ratio'.padStart(6)}`);
  for (const r of rows) {
    const shown = Number.isFinite(r.ratio) ? String(r.ratio) : '-';
    console.log(`${r.figure.padEnd(width)}  ${String(r.project).padStart(9)}  ${String(r.baseline).padStart(9)}  ${shown.padStart(6)}`);
  }
  const within = slow.project.every((r) => r.withinLimit);
  console.log(`\nslow consumer: project RSS ${within ? 'stayed' : 'did NOT stay'} within ${SLOW_LIMIT_MIB} MiB of its start in every run`);
  console.log(`written: ${writeResults('memory', { date: new Date().toISOString(), runs: RUNS, rows, streams, slow })}`);
  if (!within) process.exitCode = 1;
}

await main();
