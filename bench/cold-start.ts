// npm run bench:cold-start [-- --runs N] [-- --node PATH ...] [-- --entry FILE ...]: exec → first
// OK SayHello for the project's server as it ships (`node dist/main.js`, built first by the npm
// script, stdout to a file; --entry starts other builds beside it) against the bare grpc-js Greeter
// (bench/baseline-server.ts, compiled to JavaScript so that neither pays for a TypeScript loader),
// under this Node and each --node binary given. Starts are interleaved (the order rotating each run),
// so drift in the machine's load falls on every server. Per Node and server: the median of --runs
// starts (default 11) of the wall time from spawn to the reply, and of the server's CPU time by then
// (less moved by other processes on a shared machine); each ratio is the median of the runs' own
// ratios to the baseline. Where Node has a module compile cache (22.1+), the project's starts use one
// prepared by an unmeasured start beforehand, as the image prepares it at build time (Dockerfile);
// the baseline runs without one, as a bare grpc-js server does.
// Prints a table and writes bench/results/cold-start-<time>.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect, greeterClient } from '../src/client/connect.js';
import { compileBaseline, cpuSeconds, freePort, median, RESULTS, ROOT, sleep, stopProcess, writeResults } from './servers.js';

export interface Start {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function nodeVersion(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** Node 22.1+ reads NODE_COMPILE_CACHE; src/main.ts enables the cache where Node has one. */
function hasCompileCache(version: string): boolean {
  const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
}

/** Calls SayHello until one succeeds (the first attempts find the port closed); resolves at the reply. */
async function firstReply(port: number, child: ChildProcess): Promise<void> {
  const giveUpAt = performance.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before replying`);
    const client = greeterClient(connect(`127.0.0.1:${port}`, { insecure: true }));
    try {
      // A closed port fails the call at once (no waitForReady); an open one answers.
      await new Promise<void>((resolve, reject) =>
        client.SayHello({ name: 'cold start' }, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve())),
      );
      return;
    } catch (error) {
      if (performance.now() > giveUpAt) throw error;
      await sleep(2);
    } finally {
      client.close();
    }
  }
}

/** One server to start: the baseline or one of the project's entry points, under one Node. */
export interface Server {
  readonly name: string;
  readonly node: string;
  readonly args: readonly string[];
  /** NODE_COMPILE_CACHE for the project where this Node has one; the baseline runs without. */
  readonly compileCache?: string;
}

async function start(server: Server): Promise<Start> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_OPTIONS;
  if (server.compileCache !== undefined) env.NODE_COMPILE_CACHE = server.compileCache;
  const log = openSync(`${RESULTS}cold-start-server.log`, 'a');
  const spawnedAt = performance.now();
  const child = spawn(server.node, [...server.args, String(port)], { cwd: ROOT, env, stdio: ['ignore', log, log] });
  try {
    await firstReply(port, child);
    const wallMs = performance.now() - spawnedAt;
    return { wallMs, cpuMs: cpuSeconds(child.pid!) * 1000 };
  } finally {
    await stopProcess(child);
    closeSync(log);
  }
}

/** The median of the runs' own ratios: each run's start of `server` against that run's baseline start. */
function medianRatio(server: readonly number[], baseline: readonly number[]): number {
  return Math.round(median(server.map((value, i) => value / baseline[i]!)) * 100) / 100;
}

export interface ColdStartOptions {
  readonly runs: number;
  /** Node binaries to start the servers with. */
  readonly nodes: readonly string[];
  /** The project's entry points, relative to the repository. */
  readonly entries: readonly string[];
}

/** One Node's servers (the baseline first) and each server's starts, the i-th of every server from run i. */
export interface ColdStartGroup {
  readonly version: string;
  readonly servers: readonly Server[];
  readonly starts: readonly Start[][];
}

/** Starts every server under every Node `runs` times, interleaved; for bench/run.ts as well as main(). */
export async function measureColdStarts({ runs, nodes, entries }: ColdStartOptions): Promise<ColdStartGroup[]> {
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  const baseline = compileBaseline(dir);
  const groups: { version: string; servers: Server[]; starts: Start[][] }[] = [];
  try {
    const cacheDir = join(dir, 'node-compile-cache');
    for (const node of nodes) {
      const version = nodeVersion(node);
      const compileCache = hasCompileCache(version) ? cacheDir : undefined;
      const servers: Server[] = [
        { name: 'baseline', node, args: [baseline] },
        ...entries.map((entry) => ({ name: entry, node, args: [entry], compileCache })),
      ];
      // Unmeasured: prepares the compile cache (where there is one) and the file system's cache, for each.
      for (const server of servers) await start(server);
      groups.push({ version, servers, starts: servers.map(() => []) });
    }
    for (let run = 1; run <= runs; run += 1) {
      for (const group of groups) {
        // Rotate which server starts first, so drift in the machine's load does not favour one.
        const n = group.servers.length;
        for (let k = 0; k < n; k += 1) {
          const i = (k + run) % n;
          process.stdout.write(`  run ${run}: ${group.servers[i]!.name} on Node ${group.version}…\n`);
          group.starts[i]!.push(await start(group.servers[i]!));
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return groups;
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 11;
  const given = (flag: string): string[] => process.argv.flatMap((arg, i) => (arg === flag ? [process.argv[i + 1]!] : []));
  const nodes = [process.execPath, ...given('--node')];
  // The project's entry points to start, relative to the repository (default: the one that ships).
  const entries = given('--entry').length > 0 ? given('--entry') : ['dist/main.js'];
  const groups = await measureColdStarts({ runs: RUNS, nodes, entries });
  // Other processes on the machine inflate wall times; the ratios, from interleaved starts, move less.
  const load = loadavg().map((l) => l.toFixed(1)).join(', ');
  console.log(`\ncold start: exec → first OK SayHello on 127.0.0.1 (median of ${RUNS} interleaved starts; ratio to the baseline: median of the runs' ratios)`);
  console.log(`machine: ${availableParallelism()} CPUs, load average ${load} (1, 5, 15 min) at the end`);
  const header = ['node', 'server', 'compile cache', 'wall ms', 'ratio', 'CPU ms', 'ratio'];
  const rows = groups.flatMap((group) =>
    group.servers.map((server, i) => {
      const wall = group.starts[i]!.map((s) => s.wallMs);
      const cpu = group.starts[i]!.map((s) => s.cpuMs);
      const baseWall = group.starts[0]!.map((s) => s.wallMs);
      const baseCpu = group.starts[0]!.map((s) => s.cpuMs);
      return [
        group.version,
        server.name,
        server.compileCache === undefined ? 'no' : 'yes',
        String(Math.round(median(wall))),
        `${medianRatio(wall, baseWall).toFixed(2)}×`,
        String(Math.round(median(cpu))),
        `${medianRatio(cpu, baseCpu).toFixed(2)}×`,
      ];
    }),
  );
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  const results = groups.map((g) => ({ node: g.version, servers: g.servers.map((s, i) => ({ ...s, starts: g.starts[i] })) }));
  console.log(`\nwritten: ${writeResults('cold-start', { date: new Date().toISOString(), runs: RUNS, cpus: availableParallelism(), loadAverage: loadavg(), results })}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
