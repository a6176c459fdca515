// npm run bench:access-line [-- --runs N] [-- --lines N]: what one access line costs the process that writes
// it, measured alone: the project's AccessLog (which serializes the line itself, log-line.ts), its pino logger
// (the level check, the line's opening, time and bindings) and its stdout writer (BatchedLines, writing into
// /dev/null here) write the lines of --lines calls (default 300,000) of each kind below, with the calls'
// fields as calls.ts keeps them. Per kind: CPU time per line, above the same loop at LOG_LEVEL=warn (no line
// written), and young-generation collections per 100,000 lines (each line's garbage brings the next one
// nearer). Each figure is the median of --runs rounds (default 5), the kinds interleaved within a round.
// What a change to the line is worth shows here in nanoseconds; bench:server, which measures whole calls,
// moves by more than that from window to window. A line costs a loaded server more than it costs this loop,
// whose code and data stay in the CPU's caches from one line to the next: read these figures to compare two
// versions of the line, not as its share of a call.
// Prints a table and writes bench/results/access-line-<time>.json.
import { openSync } from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { BatchedLines, SOLE_WRITER_BATCH } from '../src/log-destination.js';
import { createLogger } from '../src/logger.js';
import { AccessLog, type LoggedCall } from '../src/server/access-log.js';
import { median, numberFlag, writeResults } from './servers.js';

const RUNS = numberFlag('--runs', 5);
const LINES = numberFlag('--lines', 300_000);

/** A kind of call, as its access line sees it when it ends. */
interface Kind {
  readonly name: string;
  readonly method: string;
  readonly code: grpc.status;
  readonly details?: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

const KINDS: readonly Kind[] = [
  { name: 'unary, OK', method: '/helloworld.Greeter/SayHello', code: grpc.status.OK, messagesIn: 1, messagesOut: 1 },
  {
    name: 'unary, INVALID_ARGUMENT',
    method: '/helloworld.Greeter/SayHello',
    code: grpc.status.INVALID_ARGUMENT,
    details: 'name is empty: set HelloRequest.name to who should be greeted',
    messagesIn: 1,
    messagesOut: 0,
  },
  { name: 'server streaming, 100 replies', method: '/helloworld.Greeter/LotsOfReplies', code: grpc.status.OK, messagesIn: 1, messagesOut: 100 },
];

/** A call that ended now, as calls.ts hands it to the access log, with its own connection info as grpc-js makes. */
class EndedCall implements LoggedCall {
  readonly method: string;
  readonly registered = true;
  readonly started: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly metadata = undefined;
  readonly span = undefined;
  private readonly remotePort: number;

  constructor(kind: Kind, i: number) {
    this.method = kind.method;
    this.started = performance.now() - 0.25 - (i % 1000) / 1000;
    this.messagesIn = kind.messagesIn;
    this.messagesOut = kind.messagesOut;
    this.remotePort = 40_000 + (i % 64);
  }

  getConnectionInfo(): ReturnType<LoggedCall['getConnectionInfo']> {
    return { localAddress: '10.8.0.2', localPort: 8080, remoteAddress: '10.8.0.1', remotePort: this.remotePort };
  }
}

let minorCollections = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minorCollections += 1;
  }
}).observe({ entryTypes: ['gc'] });

/** GC entries reach the observer after the code that caused them: let them in before reading the count. */
const observed = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

interface Round {
  readonly nsPerLine: number;
  readonly minorPer100k: number;
}

async function round(accessLog: AccessLog, kind: Kind): Promise<Round> {
  await observed();
  const collectionsBefore = minorCollections;
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i += 1) accessLog.write(new EndedCall(kind, i), kind.code, kind.details);
  const used = process.cpuUsage(before);
  await observed();
  return {
    nsPerLine: ((used.user + used.system) * 1000) / LINES,
    minorPer100k: ((minorCollections - collectionsBefore) * 100_000) / LINES,
  };
}

const devNull = openSync('/dev/null', 'w');
// One writer, as a process alone on its stdout has (stdoutLines(false)).
const lines = new BatchedLines(devNull, SOLE_WRITER_BATCH);
const on = new AccessLog(createLogger('info', lines), undefined);
const off = new AccessLog(createLogger('warn', lines), undefined);

const runs = new Map<string, { on: Round[]; off: Round[] }>(KINDS.map((kind) => [kind.name, { on: [], off: [] }]));
// An unmeasured round first, so that no kind pays for V8 compiling the path.
for (const kind of KINDS) await round(on, kind);
for (let run = 0; run < RUNS; run += 1) {
  for (const kind of KINDS) {
    const results = runs.get(kind.name)!;
    results.off.push(await round(off, kind));
    results.on.push(await round(on, kind));
  }
}
lines.flush();

const rows = KINDS.map((kind) => {
  const { on: lineRounds, off: floorRounds } = runs.get(kind.name)!;
  const nsPerLine = median(lineRounds.map((r, i) => r.nsPerLine - floorRounds[i]!.nsPerLine));
  return {
    kind: kind.name,
    nsPerLine: Math.round(nsPerLine),
    floorNs: Math.round(median(floorRounds.map((r) => r.nsPerLine))),
    minorPer100k: Math.round(median(lineRounds.map((r) => r.minorPer100k)) * 10) / 10,
    floorMinorPer100k: Math.round(median(floorRounds.map((r) => r.minorPer100k)) * 10) / 10,
  };
});

process.stdout.write(
  `\nThe access line alone (${process.version}; ${LINES.toLocaleString('en')} lines per kind and round, median of ${RUNS} rounds)\n\n` +
    '| call | CPU per line, ns (above LOG_LEVEL=warn) | young-generation GCs per 100,000 lines (warn) |\n' +
    '| --- | ---: | ---: |\n' +
    rows.map((r) => `| ${r.kind} | ${r.nsPerLine} | ${r.minorPer100k} (${r.floorMinorPer100k}) |`).join('\n') +
    '\n',
);
process.stdout.write(`\n${writeResults('access-line', { node: process.version, lines: LINES, runs: RUNS, rows })}\n`);
