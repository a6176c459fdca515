// npm run bench:abuse: each attack on the server's resources at full scale,
// for a bounded time, beside a well-behaved probe (SayHello on a connection of
// its own, one call every PROBE_INTERVAL_MS). Per attack: probe success rate,
// probe p99, server RSS before / peak / after, open fds before and after.
// Targets: probe success >= 99 %, peak RSS <= 384 MiB (75 % of the 512 Mi
// limit in k8s/base), fds back to where they started; for the floods of
// refused and undecodable calls, <= 100 log lines while they last.
//
// The server runs as the pod runs it: src/main.ts with its defaults and
// MEMORY_LIMIT_MIB=512 (what cgroup memory.max says in the pod). Each attack
// gets a fresh server. The attacker and the probe share this process, so the
// probe's latency includes the attacker's own CPU: on a small machine p99 is an
// upper bound. Loopback only.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, greeterClient } from '../src/client/connect.js';
import type { GreeterClient } from '../src/generated/helloworld/Greeter.js';
import {
  headersWithoutData,
  healthWatches,
  partialMessages,
  rapidReset,
  silentConnections,
  undecodableMessages,
  unreadReplies,
} from '../test/helpers/attacks.js';
import { numberFlag, RESULTS, rssMiB, sleep, startServer, writeResults, type BenchServer } from './servers.js';

/** `--seconds N`: how long each attack runs (10). `--only TEXT`: only the attacks whose name contains TEXT. */
const ATTACK_MS = numberFlag('--seconds', 10) * 1000;
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const PROBE_INTERVAL_MS = 20;
const PROBE_DEADLINE_MS = 5000;
/** How long the server gets, after the attacker has gone, to close what it held. Keepalive needs 40 s at most. */
const RECOVERY_MS = 60_000;
const MEMORY_LIMIT_MIB = 512;
const PEAK_TARGET_MIB = 384;
const PROBE_TARGET = 0.99;
const MiB = 1024 * 1024;
const LOG_NAME = 'abuse-bench-server';
/** The server's log lines are appended here (servers.ts). */
const LOG_FILE = `${RESULTS}${LOG_NAME}.log`;

/** An attack under way: `leave()` is how the attacker goes (most close their connections); `dispose()` cleans up after the measurement. */
interface Attacker {
  leave(): void;
  dispose?(): void;
}

interface Attack {
  readonly name: string;
  /** At most this many log lines while the attack lasts (floods a client can send at any rate). */
  readonly maxLines?: number;
  start(address: string, until: number): Promise<Attacker>;
}

const closing = (close: () => void): Attacker => ({ leave: close });

const ATTACKS: readonly Attack[] = [
  {
    name: '1,000 SayHello streams on one connection, HEADERS and never DATA',
    start: async (address) => closing((await headersWithoutData(address, 1000, 1000)).close),
  },
  {
    name: '240 streams each send all but 100 bytes of a 4 MiB message',
    start: async (address) => closing((await partialMessages(address, 240, 80, 4 * MiB - 16, 4 * MiB - 116)).close),
  },
  {
    name: '48,000 health Watch streams (100 per connection)',
    start: async (address) => closing((await healthWatches(address, 48_000, 100)).close),
  },
  {
    // Refused (MAX_HEALTH_WATCHES is 1,000) and undecodable calls, which a client can send at any rate: their lines are limited per client.
    name: '48,000 health Watch streams (1,000 per connection) and 10,000 undecodable SayHello messages (100 per connection)',
    maxLines: 100,
    start: async (address) => {
      const [watches, undecodable] = await Promise.all([healthWatches(address, 48_000, 1000), undecodableMessages(address, 10_000, 100)]);
      return closing(() => {
        watches.close();
        undecodable.close();
      });
    },
  },
  {
    // The attacker never closes them: the server must (keepalive, within KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS).
    name: '2,000 TCP connections that never send the HTTP/2 preface, and never close',
    start: async (address) => {
      const silent = await silentConnections(address, 2000);
      return { leave: () => {}, dispose: silent.close };
    },
  },
  {
    name: '400 LotsOfReplies streams of 1 MiB replies, never read',
    start: async (address) => closing((await unreadReplies(address, 400, 100, MiB)).close),
  },
  {
    // Each connection's calls hold 100 MiB its peer never takes: more than the budget lets one connection hold.
    name: '8 connections of 100 LotsOfReplies streams of 1 MiB replies, never read',
    start: async (address) => closing((await unreadReplies(address, 800, 100, MiB)).close),
  },
  {
    name: 'rapid reset (HEADERS + RST_STREAM), a new connection after each GOAWAY',
    start: async (address, until) => {
      const sessions: { destroy(): void }[] = [];
      while (Date.now() < until) sessions.push(...(await rapidReset(address, 5000)).sessions);
      return closing(() => sessions.forEach((s) => s.destroy()));
    },
  },
];

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
}

/** SayHello calls one after another until `stop()`; resolves to their latencies and failures. */
function probe(client: GreeterClient): { stop(): Promise<{ latencies: number[]; failures: number }> } {
  let running = true;
  const latencies: number[] = [];
  let failures = 0;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await new Promise<boolean>((resolve) =>
        client.SayHello({ name: 'probe' }, { deadline: Date.now() + PROBE_DEADLINE_MS }, (error) => resolve(!error)),
      );
      if (ok) latencies.push(performance.now() - started);
      else failures += 1;
      await sleep(PROBE_INTERVAL_MS);
    }
    return { latencies, failures };
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

interface AttackResult {
  readonly attack: string;
  readonly probeCalls: number;
  readonly probeSuccess: number;
  readonly probeP99Ms: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
  readonly fdsBefore: number;
  readonly fdsAfter: number;
  /** From the attacker leaving to the server's fds back at their start (or RECOVERY_MS, if never). */
  readonly fdsRecoveredMs: number;
  readonly serverAlive: boolean;
  /** Log lines the server wrote from the attack's start until the attacker left. */
  readonly linesUnderAttack: number;
  /** ... and from then until its fds were back. */
  readonly linesAfter: number;
}

function logLines(): number {
  let lines = 0;
  for (const byte of readFileSync(LOG_FILE)) if (byte === 0x0a) lines += 1;
  return lines;
}

async function run(attack: Attack): Promise<AttackResult> {
  const server: BenchServer = await startServer('project', { MEMORY_LIMIT_MIB: String(MEMORY_LIMIT_MIB) }, LOG_NAME);
  const client = greeterClient(connect(server.address, { insecure: true }));
  try {
    await new Promise((resolve) => client.SayHello({ name: 'warm' }, resolve));
    await sleep(1000);
    const rssBeforeMiB = rssMiB(server.pid);
    const fdsBefore = openFds(server.pid);
    let rssPeakMiB = rssBeforeMiB;
    const sampler = setInterval(() => (rssPeakMiB = Math.max(rssPeakMiB, rssMiB(server.pid))), 50);

    const probing = probe(client);
    const linesBefore = logLines();
    const until = Date.now() + ATTACK_MS;
    const attacker = await attack.start(server.address, until);
    while (Date.now() < until) await sleep(100);
    const { latencies, failures } = await probing.stop();
    // The probe's own access lines are not the attack's.
    const linesUnderAttack = logLines() - linesBefore - latencies.length - failures;
    attacker.leave();

    const left = performance.now();
    let fdsAfter = openFds(server.pid);
    while (fdsAfter > fdsBefore && performance.now() - left < RECOVERY_MS) {
      await sleep(500);
      fdsAfter = openFds(server.pid);
    }
    const fdsRecoveredMs = Math.round(performance.now() - left);
    clearInterval(sampler);
    const linesAfter = logLines() - linesBefore - linesUnderAttack - latencies.length - failures;
    attacker.dispose?.();
    const sorted = latencies.sort((a, b) => a - b);
    const calls = latencies.length + failures;
    return {
      attack: attack.name,
      probeCalls: calls,
      probeSuccess: calls === 0 ? 0 : latencies.length / calls,
      probeP99Ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
      rssBeforeMiB,
      rssPeakMiB,
      rssAfterMiB: rssMiB(server.pid),
      fdsBefore,
      fdsAfter,
      fdsRecoveredMs,
      serverAlive: server.child.exitCode === null,
      linesUnderAttack,
      linesAfter,
    };
  } finally {
    client.close();
    await server.stop();
  }
}

function targetsMet(attack: Attack, r: AttackResult): boolean {
  const quiet = attack.maxLines === undefined || r.linesUnderAttack <= attack.maxLines;
  return r.probeSuccess >= PROBE_TARGET && r.rssPeakMiB <= PEAK_TARGET_MIB && r.fdsAfter <= r.fdsBefore && r.serverAlive && quiet;
}

async function main(): Promise<void> {
  console.log(
    `abuse bench: ${ATTACKS.length} attacks, ${ATTACK_MS / 1000} s each, beside a SayHello probe every ${PROBE_INTERVAL_MS} ms; ` +
      `server MEMORY_LIMIT_MIB=${MEMORY_LIMIT_MIB}, defaults otherwise; Node ${process.version}`,
  );
  const results: AttackResult[] = [];
  let allMet = true;
  for (const attack of ATTACKS.filter((a) => ONLY === undefined || a.name.includes(ONLY))) {
    const result = await run(attack);
    results.push(result);
    const met = targetsMet(attack, result);
    allMet &&= met;
    const lineTarget = attack.maxLines === undefined ? '' : `, <= ${attack.maxLines} lines under attack`;
    console.log(
      `\n${attack.name}\n` +
        `  probe: ${(result.probeSuccess * 100).toFixed(2)} % of ${result.probeCalls} OK, p99 ${result.probeP99Ms} ms\n` +
        `  RSS MiB: before ${result.rssBeforeMiB}, peak ${result.rssPeakMiB}, after ${result.rssAfterMiB}\n` +
        `  fds: before ${result.fdsBefore}, after ${result.fdsAfter} (${result.fdsRecoveredMs} ms after the attacker left)\n` +
        `  log lines: ${result.linesUnderAttack} under attack, ${result.linesAfter} after the attacker left\n` +
        `  ${met ? 'targets met' : 'TARGETS MISSED'} (probe >= ${PROBE_TARGET * 100} %, peak <= ${PEAK_TARGET_MIB} MiB, fds back, server alive${lineTarget})`,
    );
  }
  console.log(`\nwritten: ${writeResults('abuse', { date: new Date().toISOString(), node: process.version, attackMs: ATTACK_MS, results })}`);
  if (!allMet) process.exitCode = 1;
}

await main();
