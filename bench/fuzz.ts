// npm run bench:fuzz: malformed requests (test/helpers/bad-input.ts: truncated
// and undecodable messages, wrong content-type, oversized metadata, unknown
// methods, garbage bytes) sent ROUNDS times over, in parallel with a steady
// stream of good SayHello calls, in PHASES phases with a 10 s quiet pause after each.
// Reports good calls failed (must be 0), whether the server lived, and its RSS
// before, at peak and after each phase, project and baseline alike: a leak
// shows as RSS that keeps climbing phase after phase, where a heap that V8 has
// grown once and keeps stays level. Median of --runs (default 3).
import { connect, greeterClient } from '../src/client/connect.js';
import type { GreeterClient } from '../src/generated/helloworld/Greeter.js';
import { BAD_INPUTS } from '../test/helpers/bad-input.js';
import { median, numberFlag, ratio, rssMiB, sleep, startServer, writeResults, type BenchServer, type ServerKind } from './servers.js';

const RUNS = numberFlag('--runs', 3);
const ROUNDS = numberFlag('--rounds', 50);
const PHASES = 3;
const QUIET_MS = 10_000;
/** Bad requests in flight at once. */
const PARALLEL = 8;
const KINDS: readonly ServerKind[] = ['project', 'baseline'];

function sayHello(client: GreeterClient): Promise<boolean> {
  return new Promise((resolve) => client.SayHello({ name: 'good' }, { deadline: Date.now() + 10_000 }, (error) => resolve(!error)));
}

interface FuzzResult {
  readonly badRequests: number;
  readonly goodCalls: number;
  readonly goodFailed: number;
  readonly alive: boolean;
  readonly beforeMiB: number;
  readonly peakMiB: number;
  /** RSS 10 s after each phase. */
  readonly afterPhaseMiB: readonly number[];
  readonly seconds: number;
}

async function fuzz(server: BenchServer): Promise<FuzzResult> {
  const client = greeterClient(connect(server.address, { insecure: true }));
  for (let i = 0; i < 200; i += 1) await sayHello(client);
  await sleep(1000);
  const beforeMiB = rssMiB(server.pid);
  let peakMiB = beforeMiB;
  let goodCalls = 0;
  let goodFailed = 0;
  /** Good calls run while bad input is being sent, and stop for the quiet pause that follows. */
  const goodCallsUntil = async (done: () => boolean): Promise<void> => {
    while (!done()) {
      goodCalls += 1;
      if (!(await sayHello(client))) goodFailed += 1;
      peakMiB = Math.max(peakMiB, rssMiB(server.pid));
    }
  };
  const started = performance.now();
  const afterPhaseMiB: number[] = [];
  let badRequests = 0;
  for (let phase = 0; phase < PHASES; phase += 1) {
    const queue = Array.from({ length: ROUNDS }, () => BAD_INPUTS).flat();
    badRequests += queue.length;
    let sent = false;
    const good = goodCallsUntil(() => sent);
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let input = queue.pop(); input !== undefined; input = queue.pop()) await input.send(server.address);
      }),
    );
    sent = true;
    await good;
    // Quiet: with no allocation going on, V8's memory reducer collects and gives pages back.
    await sleep(QUIET_MS);
    afterPhaseMiB.push(rssMiB(server.pid));
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const alive = server.child.exitCode === null && (await sayHello(client));
  client.close();
  return { badRequests, goodCalls, goodFailed, alive, beforeMiB, peakMiB, afterPhaseMiB, seconds };
}

async function main(): Promise<void> {
  console.log(`fuzz bench: ${PHASES} phases of ${ROUNDS} rounds of ${BAD_INPUTS.length} bad inputs, ${PARALLEL} at a time, beside good calls; ${RUNS} runs`);
  const results: Record<ServerKind, FuzzResult[]> = { project: [], baseline: [] };
  for (let run = 1; run <= RUNS; run += 1) {
    for (const kind of run % 2 === 1 ? KINDS : [...KINDS].reverse()) {
      const server = await startServer(kind, {}, 'fuzz-bench-server');
      try {
        results[kind].push(await fuzz(server));
      } finally {
        await server.stop();
      }
      console.log(`  run ${run} ${kind}: ${JSON.stringify(results[kind].at(-1))}`);
    }
  }
  const figures: readonly (readonly [string, (r: FuzzResult) => number])[] = [
    ['good calls failed', (r) => r.goodFailed],
    ['RSS before, MiB', (r) => r.beforeMiB],
    ['RSS peak, MiB', (r) => r.peakMiB],
    ['RSS 10 s after phase 1, MiB', (r) => r.afterPhaseMiB[0]!],
    [`RSS 10 s after phase ${PHASES}, MiB`, (r) => r.afterPhaseMiB.at(-1)!],
    [`RSS 10 s after phase ${PHASES} minus before, MiB`, (r) => Math.round((r.afterPhaseMiB.at(-1)! - r.beforeMiB) * 10) / 10],
  ];
  const rows = figures.map(([figure, pick]) => {
    const project = median(results.project.map(pick));
    const baseline = median(results.baseline.map(pick));
    return { figure, project, baseline, ratio: ratio(project, baseline) };
  });
  const width = Math.max(...rows.map((r) => r.figure.length));
  console.log(`\n${'figure (median)'.padEnd(width)}  ${'project'.padStart(9)}  ${'baseline'.padStart(9)}  ${'ratio'.padStart(6)}`);
  for (const r of rows) {
    const shown = Number.isFinite(r.ratio) ? String(r.ratio) : '-';
    console.log(`${r.figure.padEnd(width)}  ${String(r.project).padStart(9)}  ${String(r.baseline).padStart(9)}  ${shown.padStart(6)}`);
  }
  const ok = results.project.every((r) => r.alive && r.goodFailed === 0);
  console.log(`\nproject: ${ok ? 'every good call succeeded and the server lived in every run' : 'FAILED: a good call failed or the server died'}`);
  console.log(`written: ${writeResults('fuzz', { date: new Date().toISOString(), runs: RUNS, phases: PHASES, rounds: ROUNDS, rows, results })}`);
  if (!ok) process.exitCode = 1;
}

await main();
