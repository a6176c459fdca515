// `cloudrun-grpc load <target> …`: flags → a validated LoadPlan (errors name
// the flag), then open, run, report. Exit codes: 0 done, 1 a --fail-on-* gate
// tripped or the target could not be reached, 2 bad usage (an unreadable --ca-file too), 130 interrupted.
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, UsageError, connectOptionsFromFlags, fraction, parseDuration, parsePositiveDuration } from '../client/flags.js';
import type { Env } from '../config.js';
import type { GateThresholds } from '../load/gates.js';
import { ConnectError, resolveDriver } from '../load/driver.js';
import { DEFAULTS, DRIVERS, SHAPES, type LoadPlan, type StopCondition } from '../load/plan.js';
import { showProgress } from '../load/progress.js';
import { MAX_LOGGED_CALLS } from '../load/call-log.js';
import { buildReport, describePlan } from '../load/report.js';
import { callsCsv } from '../load/report-csv.js';
import type { PreparedLoad } from '../load/runner.js';
import { openPlan } from '../load/workers.js';
import { parseCommandArgs, writePlaintextHint } from './call.js';
import { configArguments, GHZ_FLAGS, GHZ_FLAGS_USAGE, GHZ_ONLY, ghzSettings } from './load-ghz.js';
import type { Command } from './command.js';
import { compareCommand } from './load-compare.js';
import { mergeCommand } from './load-merge.js';
import { CALL_LIST_FLAGS, CALL_LIST_FLAGS_USAGE, OUTPUT_FLAGS, OUTPUT_FLAGS_USAGE, outputFromFlags, renderReport, writeOutput, type ReportOutput } from './load-output.js';
import { SHARD_FLAGS, SHARD_FLAGS_USAGE, shardFromFlags } from './load-shard.js';
import { prepareCall } from '../load/call/prepare.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, parseCallArgs, readCallBinary, readCallData } from './load-call.js';
import { parseScheduleArgs, rampPeak, SCHEDULE_FLAGS, SCHEDULE_FLAGS_USAGE } from './load-schedule.js';

/** A --fail-on gate tripped, or the run could not start. */
export const EXIT_FAILED = 1;
export const EXIT_INTERRUPTED = 130;

const LOAD_FLAGS = {
  ...CONNECTION_FLAGS,
  ...CALL_FLAGS,
  ...GHZ_FLAGS,
  ...SCHEDULE_FLAGS,
  shape: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  connections: { type: 'string' },
  total: { type: 'string', short: 'n' },
  duration: { type: 'string', short: 'z' },
  rps: { type: 'string', short: 'r' },
  warmup: { type: 'string' },
  messages: { type: 'string' },
  'interval-ms': { type: 'string' },
  replies: { type: 'string' },
  'payload-bytes': { type: 'string' },
  workers: { type: 'string' },
  driver: { type: 'string' },
  'connect-timeout': { type: 'string' },
  ...SHARD_FLAGS,
  ...OUTPUT_FLAGS,
  ...CALL_LIST_FLAGS,
  'fail-on-error-rate': { type: 'string' },
  'fail-on-p99-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const USAGE = `Usage: cloudrun-grpc load <target> [options]

Drives a gRPC method at <target> (host[:port], dns:, xds:///): the Greeter's (--shape), or any
(--call, from the server's reflection or --proto), and reports throughput, latency percentiles
(HdrHistogram) and the status-code distribution.

Load:
  --shape S              the Greeter: unary | server | client | bidi (default unary)
  -c, --concurrency N    calls in flight at once (default ${DEFAULTS.concurrency}); with --rps, the most in flight
  --connections N        separate HTTP/2 connections, calls spread over them (default ${DEFAULTS.connections}; at most --concurrency)
  -n, --total N          stop after N measured calls (default 200, as ghz, when there is no --duration)
  -z, --duration D       stop starting calls after D (e.g. 30s, 500ms, 2m); not with --total
  -r, --rps N            open loop: start N calls per second on a fixed schedule; latency is then
                         measured from each call's scheduled start (no coordinated omission)
  --warmup D             run the same load for D first, unmeasured (default none)
  --workers N            threads generating load, each with its own share of the connections
                         (default ${DEFAULTS.workers}: this thread; at most --connections). Add workers when the
                         report says the load generator was the bottleneck
  --driver D             http2 (default): gRPC framed by the harness on node:http2, lean enough to
                         saturate a server; grpc-js: calls through @grpc/grpc-js, as an application
                         makes them. Targets only grpc-js can resolve (xds:///, unix:) use grpc-js
  --connect-timeout D    time allowed to open each connection, apart from --deadline (default 10s)
${SHARD_FLAGS_USAGE}

Streams:
  --messages N           client, bidi: messages sent per stream (default ${DEFAULTS.messages}); bidi waits for each reply
  --interval-ms N        client, bidi: pause between sent messages; server: interval_ms asked of the server (default 0)
  --replies N            server: replies asked for per call (default ${DEFAULTS.replies})
  --payload-bytes N      filler bytes in each request and asked for in each reply (default 0)

${CALL_FLAGS_USAGE}

${SCHEDULE_FLAGS_USAGE}

Report (every format has the totals and a time series, one row per wall-clock second):
${OUTPUT_FLAGS_USAGE}
${CALL_LIST_FLAGS_USAGE}
  --fail-on-error-rate X exit 1 when errors/calls is above X (0.01 or 1%)
  --fail-on-p99-ms X     exit 1 when the p99 latency is above X milliseconds

${CONNECTION_FLAGS_USAGE}

${GHZ_FLAGS_USAGE}

Reports of several runs:
  cloudrun-grpc load merge REPORT.json...     one exact report of the JSON reports of one plan (--shard)
  cloudrun-grpc load compare BASE.json NEW.json   side by side, with ratios; a CI gate on regressions
  ('load merge --help', 'load compare --help')

Every report gives the generator's own CPU per call and each thread's event-loop utilization,
and warns when the generator, not the server, was the limit.
Progress goes to stderr when it is a terminal. Ctrl-C stops the run and prints the partial
report (exit 130). A run in which every call failed prints a warning on stderr and, as ghz, exits 0
unless a gate trips. Exit 1 when a --fail-on gate trips or the target cannot be reached (with
--format json, a JSON object {"error": {...}} as the report). Exit 2 on bad usage, found before any
load is sent: a flag's value, an unknown service or method, a server without reflection and no --proto,
--data that does not fit the message, a template that does not parse.`;

type Values = ReturnType<typeof parseCommandArgs<typeof LOAD_FLAGS>>['values'];

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${flag}: "${value}" is not a whole number of at least ${min}`);
  return Number(value);
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag}: "${value}" is not a number above 0`);
  return n;
}

/** ghz's number of calls when neither --total nor --duration is given. */
const GHZ_TOTAL = 200;

function stopCondition(values: Values, maxDurationMs: number | undefined): StopCondition {
  if (values.total !== undefined && values.duration !== undefined) throw new UsageError('give either --total or --duration, not both');
  if (values.duration !== undefined && maxDurationMs !== undefined) throw new UsageError('-x, --max-duration bounds --total: with --duration, give one of them');
  if (values.duration !== undefined) return { durationMs: parseDuration('duration', values.duration) };
  const total = wholeNumber('total', values.total, GHZ_TOTAL, 1);
  return maxDurationMs === undefined ? { total } : { total, durationMs: maxDurationMs };
}

export interface LoadInvocation {
  readonly plan: LoadPlan;
  readonly thresholds: GateThresholds;
  readonly output: ReportOutput;
  /** --data-file, read into the plan's call before the run ("-": stdin). */
  readonly dataFile?: string;
  /** -b ("-": stdin) or -B FILE: the request as one serialized message, read before the run. */
  readonly binaryFile?: string;
}

/** Flags (and CLOUDRUN_GRPC_TOKEN in `env`) → plan, checked once at the door; every error names its flag. */
export function parseLoadArgs(argv: readonly string[], env: Env): LoadInvocation | 'help' {
  let { values: given, positionals } = parseCommandArgs(argv, LOAD_FLAGS, GHZ_ONLY);
  if (given.config !== undefined) {
    // ghz's config file: its settings first, so that the command line's win.
    const config = configArguments(given.config, LOAD_FLAGS);
    given = parseCommandArgs([...config.args, ...argv], LOAD_FLAGS, GHZ_ONLY).values;
    if (positionals.length === 0 && config.host !== undefined) positionals = [config.host];
  }
  const ghz = ghzSettings(given);
  const values = ghz.values as Values;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`give one target (host[:port]); got ${positionals.length}`);
  const shape = SHAPES.find((s) => s === (values.shape ?? 'unary'));
  if (shape === undefined) throw new UsageError(`--shape: "${values.shape}" is not one of ${SHAPES.join(', ')}`);
  const schedules = parseScheduleArgs(values, { rps: values.rps !== undefined, concurrency: values.concurrency !== undefined });
  const concurrency =
    schedules.concurrencyRamp === undefined ? wholeNumber('concurrency', values.concurrency, DEFAULTS.concurrency, 1) : rampPeak(schedules.concurrencyRamp);
  const connections = wholeNumber('connections', values.connections, DEFAULTS.connections, 1);
  const workers = wholeNumber('workers', values.workers, DEFAULTS.workers, 1);
  if (connections > concurrency) throw new UsageError(`--connections (${connections}) cannot exceed --concurrency (${concurrency}): a connection without a call is idle`);
  if (workers > connections) throw new UsageError(`--workers (${workers}) cannot exceed --connections (${connections}): a connection cannot be shared across threads`);
  const shard = shardFromFlags(values.shard);
  const output = outputFromFlags(values);
  const driver = values.driver === undefined ? undefined : DRIVERS.find((d) => d === values.driver);
  if (values.driver !== undefined && driver === undefined) throw new UsageError(`--driver: "${values.driver}" is not one of ${DRIVERS.join(', ')}`);
  const target = positionals[0] as string;
  const { deadlineMs: deadlineFlagMs, ...ourConnection } = connectOptionsFromFlags(values, env);
  const deadlineMs = ghz.deadlineMs ?? deadlineFlagMs ?? DEFAULTS.deadlineMs;
  const { call, dataFile, binaryFile, connection } = parseCallArgs(values, shape, { ...ourConnection, ...ghz.connection }, ghz);
  const plan: LoadPlan = {
    target,
    connection,
    driver: resolveDriver(driver, target),
    connectTimeoutMs:
      values['connect-timeout'] === undefined ? DEFAULTS.connectTimeoutMs : parsePositiveDuration('connect-timeout', values['connect-timeout']),
    shape,
    concurrency,
    connections,
    stop: stopCondition(values, ghz.maxDurationMs),
    rps: values.rps === undefined ? undefined : positiveNumber('rps', values.rps),
    warmupMs: values.warmup === undefined ? DEFAULTS.warmupMs : parseDuration('warmup', values.warmup),
    deadlineMs,
    messages: wholeNumber('messages', values.messages, DEFAULTS.messages, 1),
    intervalMs: wholeNumber('interval-ms', values['interval-ms'], DEFAULTS.intervalMs, 0),
    replies: wholeNumber('replies', values.replies, DEFAULTS.replies, 1),
    payloadBytes: wholeNumber('payload-bytes', values['payload-bytes'], DEFAULTS.payloadBytes, 0),
    workers,
    ...(call !== undefined && { call }),
    ...(schedules.rateRamp !== undefined && { rateRamp: schedules.rateRamp }),
    ...(schedules.concurrencyRamp !== undefined && { concurrencyRamp: schedules.concurrencyRamp }),
    shard,
    listCalls: output.csvCalls ? MAX_LOGGED_CALLS : 0,
    ...(ghz.skipFirst > 0 && { skipFirst: ghz.skipFirst }),
    ...(ghz.name !== undefined && { name: ghz.name }),
    ...(ghz.tags !== undefined && { tags: ghz.tags }),
  };
  const thresholds: GateThresholds = {
    ...(values['fail-on-error-rate'] !== undefined && { errorRate: fraction('fail-on-error-rate', values['fail-on-error-rate']) }),
    ...(values['fail-on-p99-ms'] !== undefined && { p99Ms: positiveNumber('fail-on-p99-ms', values['fail-on-p99-ms']) }),
  };
  return { plan, thresholds, output, ...(dataFile !== undefined && { dataFile }), ...(binaryFile !== undefined && { binaryFile }) };
}

export const loadCommand: Command = {
  name: 'load',
  summary: 'load-test any gRPC method (the Greeter by default): closed loop, fixed or ramped rate, HdrHistogram percentiles',
  usage: USAGE,
  subcommands: [mergeCommand, compareCommand],
  async run(argv, io) {
    const invocation = parseLoadArgs(argv, io.env);
    if (invocation === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const { thresholds, output } = invocation;
    let plan = invocation.plan;
    let load: PreparedLoad;
    try {
      if (invocation.dataFile !== undefined && plan.call !== undefined) {
        plan = { ...plan, call: { ...plan.call, data: await readCallData(invocation.dataFile, io) } };
      }
      if (invocation.binaryFile !== undefined && plan.call !== undefined) {
        plan = { ...plan, call: { ...plan.call, binary: await readCallBinary(invocation.binaryFile, io) } };
      }
      // Bad input (an unknown method, data that does not fit) throws UsageError here: exit 2, nothing sent.
      plan = await prepareCall(plan);
      load = await openPlan(plan);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      // Unreachable target (ConnectError), a worker that could not start.
      const { message } = error as Error;
      io.stderr.write(`cloudrun-grpc load: ${message}\n`);
      writePlaintextHint(message, io);
      if (output.format === 'json' || output.format === 'pretty') {
        const code = error instanceof ConnectError ? error.code : undefined;
        // With the plan, so that `load merge` can name the shard that could not run.
        const failed = { error: { message, target: plan.target, ...(code !== undefined && { code }) }, ...describePlan(plan) };
        writeOutput(`${JSON.stringify(failed, null, 2)}\n`, output, io);
      }
      return EXIT_FAILED;
    }
    const run = load.start();
    const stop = (): void => run.stop();
    // One Ctrl-C stops the run and prints what was measured; a second one (default handler again) kills.
    process.once('SIGINT', stop);
    const hideProgress = showProgress(io.stderr, run);
    let report;
    let result;
    try {
      result = await run.finished;
      report = buildReport(plan, result, thresholds);
    } finally {
      process.off('SIGINT', stop);
      hideProgress();
      load.close();
    }
    if (output.csvCalls && result.tally.callLog) {
      const { callLog } = result.tally;
      writeOutput(callsCsv(callLog), output, io);
      if (callLog.unlisted > 0) io.stderr.write(`cloudrun-grpc load: --csv-calls listed the first ${callLog.startMs.length} calls; ${callLog.unlisted} more were measured, not listed\n`);
    } else {
      writeOutput(renderReport(report, output.format), output, io);
    }
    if (report.endReason === 'interrupted') return EXIT_INTERRUPTED;
    if (report.count > 0 && report.errors === report.count) {
      // As ghz: the report, a warning, exit 0; --fail-on-error-rate makes it a failure.
      const [first] = Object.entries(report.errorDistribution).sort((a, b) => b[1] - a[1]);
      io.stderr.write(`cloudrun-grpc load: warning: every call failed (${report.count}); the most common error: ${first?.[0] ?? 'none'}. --fail-on-error-rate 0 exits 1 then\n`);
      writePlaintextHint(first?.[0] ?? '', io);
    }
    return report.gates.every((gate) => gate.passed) ? 0 : EXIT_FAILED;
  },
};
