// npm run bench:rolling-deploy: a rolling deploy at full size. Two servers on
// two loopback ports; one client channel round-robin over both with
// src/client/retry.ts's policy (retry UNAVAILABLE, as a real client should);
// unary SayHello at a steady rate plus long BidiHello streams; SIGTERM to one
// server mid-run. Reports unary calls attempted, succeeded and failed (by
// code), how each stream ended, latency, and how long the stopped server took
// to exit. The same run against the bare grpc-js baseline (which has no drain:
// it stops at once on SIGTERM) shows what the drain buys. --runs (default 3).
import * as grpc from '@grpc/grpc-js';
import { connect, greeterClient } from '../src/client/connect.js';
import { roundRobinWithRetries } from '../src/client/retry.js';
import { median, numberFlag, sleep, startServer, writeResults, type ServerKind } from './servers.js';

const RUNS = numberFlag('--runs', 3);
const RATE = 500; // unary calls per second
const DURATION_MS = 20_000;
const SIGTERM_AT_MS = 5_000;
const STREAMS = 20;
const STREAM_MESSAGES = 75;
const STREAM_INTERVAL_MS = 200; // 15 s streams: longer than the grace period below
const GRACE_MS = 5_000;
const TICK_MS = 10;
const KINDS: readonly ServerKind[] = ['project', 'baseline'];

interface RunResult {
  readonly attempted: number;
  readonly succeeded: number;
  readonly failed: Record<string, number>;
  readonly streams: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly stoppedServerExit: string;
  readonly stoppedServerTookMs: number;
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

async function rollingDeploy(kind: ServerKind): Promise<RunResult> {
  const env = { SHUTDOWN_GRACE_MS: String(GRACE_MS) };
  const [a, b] = await Promise.all([startServer(kind, env, 'rolling-deploy-server'), startServer(kind, env, 'rolling-deploy-server')]);
  const client = greeterClient(connect(`ipv4:${a.address},${b.address}`, { insecure: true, channelOptions: roundRobinWithRetries() }));
  const sayHello = (): Promise<grpc.status> =>
    new Promise((resolve) => client.SayHello({ name: 'deploy' }, { deadline: Date.now() + 10_000 }, (error) => resolve(error ? error.code! : grpc.status.OK)));
  try {
    // Both connections up before the run, or round_robin sends everything to the first.
    for (let i = 0; i < 20; i += 1) await sayHello();

    const streams: Record<string, number> = {};
    const streamsDone = Array.from({ length: STREAMS }, (_, i) => {
      const call = client.BidiHello();
      let sent = 0;
      const timer = setInterval(() => {
        sent += 1;
        call.write({ name: `stream ${i}` });
        if (sent === STREAM_MESSAGES) call.end();
      }, STREAM_INTERVAL_MS);
      call.on('data', () => {});
      call.on('error', () => {});
      return new Promise<void>((resolve) =>
        call.on('status', (status) => {
          clearInterval(timer);
          count(streams, grpc.status[status.code] ?? String(status.code));
          resolve();
        }),
      );
    });

    const latencies: number[] = [];
    const failed: Record<string, number> = {};
    const unary: Promise<void>[] = [];
    const started = performance.now();
    let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> | undefined;
    let signalledAt = 0;
    // Open loop: calls are started on the clock, whether or not earlier ones have finished.
    for (let tick = 0; tick * TICK_MS < DURATION_MS; tick += 1) {
      if (stopped === undefined && tick * TICK_MS >= SIGTERM_AT_MS) {
        stopped = new Promise((resolve) => a.child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
        signalledAt = performance.now();
        a.child.kill('SIGTERM');
      }
      for (let i = 0; i < (RATE * TICK_MS) / 1000; i += 1) {
        const callStarted = performance.now();
        unary.push(
          sayHello().then((code) => {
            if (code === grpc.status.OK) latencies.push(performance.now() - callStarted);
            else count(failed, grpc.status[code] ?? String(code));
          }),
        );
      }
      const next = started + (tick + 1) * TICK_MS;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(unary);
    await Promise.all(streamsDone);
    const exit = await stopped!;
    const tookMs = Math.round(exit.at - signalledAt);
    latencies.sort((x, y) => x - y);
    const at = (q: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN) * 100) / 100;
    return {
      attempted: unary.length,
      succeeded: latencies.length,
      failed,
      streams,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: at(1),
      stoppedServerExit: exit.signal ?? `code ${exit.code}`,
      // The baseline exits at once; the project's time includes its drain of the streams.
      stoppedServerTookMs: tookMs,
    };
  } finally {
    client.close();
    await Promise.all([a.stop(), b.stop()]);
  }
}

async function main(): Promise<void> {
  console.log(
    `rolling-deploy bench: ${RATE} unary calls/s for ${DURATION_MS / 1000} s and ${STREAMS} bidi streams of ${(STREAM_MESSAGES * STREAM_INTERVAL_MS) / 1000} s ` +
      `over two servers; SIGTERM one at ${SIGTERM_AT_MS / 1000} s (grace ${GRACE_MS / 1000} s); ${RUNS} runs`,
  );
  const results: Record<ServerKind, RunResult[]> = { project: [], baseline: [] };
  for (let run = 1; run <= RUNS; run += 1) {
    for (const kind of run % 2 === 1 ? KINDS : [...KINDS].reverse()) {
      results[kind].push(await rollingDeploy(kind));
      console.log(`  run ${run} ${kind}: ${JSON.stringify(results[kind].at(-1))}`);
    }
  }
  for (const kind of KINDS) {
    const runs = results[kind];
    const failedTotal = runs.map((r) => Object.values(r.failed).reduce((s, n) => s + n, 0));
    console.log(
      `\n${kind}: unary attempted ${median(runs.map((r) => r.attempted))}, failed ${failedTotal.join('/')} (per run); ` +
        `p50 ${median(runs.map((r) => r.p50Ms))} ms, p99 ${median(runs.map((r) => r.p99Ms))} ms (medians); ` +
        `streams ${runs.map((r) => JSON.stringify(r.streams)).join(' ')}`,
    );
  }
  const project = results.project;
  const ok =
    project.every((r) => r.attempted === r.succeeded) &&
    project.every((r) => Object.keys(r.streams).every((code) => code === 'OK' || code === 'UNAVAILABLE'));
  console.log(`\nproject: ${ok ? 'no unary call failed, and every stream ended OK or UNAVAILABLE, in every run' : 'FAILED the zero-loss target'}`);
  console.log(`written: ${writeResults('rolling-deploy', { date: new Date().toISOString(), runs: RUNS, rate: RATE, durationMs: DURATION_MS, results })}`);
  if (!ok) process.exitCode = 1;
}

await main();
