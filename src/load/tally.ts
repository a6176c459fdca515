// The running count of one thread's measured calls, and its plain-data
// snapshot, which crosses worker threads and merges exactly.
import * as grpc from '@grpc/grpc-js';
import { encodeHistogram, mergeHistograms } from './histogram.js';
import { CallLog, mergeCallLogs, type CallLogSnapshot } from './call-log.js';
import { mergeTimelines, Timeline, type IntervalSnapshot } from './timeline.js';

/** How one call ended. */
export interface CallOutcome {
  readonly code: grpc.status;
  readonly details: string;
  readonly sent: number;
  readonly received: number;
}

/** Distinct error messages kept per run; the rest are counted under one line, so a message with ids in it cannot flood the report. */
export const MAX_ERROR_MESSAGES = 20;
export const OTHER_ERRORS = '(other error messages)';

/**
 * Errors are grouped by code and message with the numbers taken out: a deadline's text carries its timings,
 * so one cause would otherwise show as many "distinct" messages. A group whose texts all match shows that
 * text; one whose numbers varied shows them as N.
 */
export function errorGroup(message: string): string {
  return message.replace(/(?<![\w/])\d+(?:\.\d+)?/g, 'N');
}

interface ErrorGroup {
  shown: string;
  count: number;
}

/** Adds `count` errors with text `message` to `groups` (at most MAX_ERROR_MESSAGES groups, then OTHER_ERRORS). */
function addError(groups: Map<string, ErrorGroup>, message: string, count: number): void {
  let key = errorGroup(message);
  if (!groups.has(key) && groups.size >= MAX_ERROR_MESSAGES) key = message = OTHER_ERRORS;
  const group = groups.get(key);
  if (group === undefined) return void groups.set(key, { shown: message, count });
  group.count += count;
  if (group.shown !== message) group.shown = key;
}

function errorCounts(groups: Map<string, ErrorGroup>): Record<string, number> {
  return Object.fromEntries([...groups.values()].map((g) => [g.shown, g.count]));
}

export interface TallySnapshot {
  readonly calls: number;
  readonly errors: number;
  readonly sent: number;
  readonly received: number;
  /** Status code name → calls. */
  readonly codes: Readonly<Record<string, number>>;
  /** "CODE: details" → calls, grouped (see errorGroup). */
  readonly errorMessages: Readonly<Record<string, number>>;
  /** HdrHistogram compressed encoding of call latencies (µs). */
  readonly histogram: string;
  /** The same calls second by second (wall-clock seconds). */
  readonly timeline: readonly IntervalSnapshot[];
  /** With --csv-calls: the calls one by one. */
  readonly callLog?: CallLogSnapshot;
}

export class Tally {
  calls = 0;
  errors = 0;
  sent = 0;
  received = 0;
  private readonly codes = new Map<grpc.status, number>();
  private readonly errorMessages = new Map<string, ErrorGroup>();
  private readonly timeline = new Timeline();
  private readonly callLog: CallLog | undefined;

  /** `listCalls`: calls to keep one by one (--csv-calls), 0 for none. */
  constructor(listCalls = 0) {
    this.callLog = listCalls > 0 ? new CallLog(listCalls) : undefined;
  }

  /** `startedAt` and `endedAt` are performance.now() times of this thread. */
  record(outcome: CallOutcome, latencyMs: number, startedAt = performance.now(), endedAt = startedAt): void {
    this.calls += 1;
    this.sent += outcome.sent;
    this.received += outcome.received;
    // The timeline keeps the run's histogram too: one histogram record per call.
    this.timeline.record(outcome.code, latencyMs, startedAt, endedAt);
    this.callLog?.record(outcome.code, outcome.details, latencyMs, startedAt);
    this.codes.set(outcome.code, (this.codes.get(outcome.code) ?? 0) + 1);
    if (outcome.code === grpc.status.OK) return;
    this.errors += 1;
    addError(this.errorMessages, `${grpc.status[outcome.code] ?? outcome.code}: ${outcome.details}`, 1);
  }

  snapshot(): TallySnapshot {
    return {
      calls: this.calls,
      errors: this.errors,
      sent: this.sent,
      received: this.received,
      codes: Object.fromEntries([...this.codes].map(([code, n]) => [grpc.status[code] ?? String(code), n])),
      errorMessages: errorCounts(this.errorMessages),
      histogram: encodeHistogram(this.timeline.total()),
      timeline: this.timeline.snapshot(),
      ...(this.callLog && { callLog: this.callLog.snapshot() }),
    };
  }
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** One snapshot holding every call of the given ones (histograms merged exactly). */
export function mergeSnapshots(snapshots: readonly TallySnapshot[]): TallySnapshot {
  const codes: Record<string, number> = {};
  const errorMessages = new Map<string, ErrorGroup>();
  for (const s of snapshots) {
    addCounts(codes, s.codes);
    for (const [message, n] of Object.entries(s.errorMessages)) addError(errorMessages, message, n);
  }
  const sum = (pick: (s: TallySnapshot) => number): number => snapshots.reduce((n, s) => n + pick(s), 0);
  return {
    calls: sum((s) => s.calls),
    errors: sum((s) => s.errors),
    sent: sum((s) => s.sent),
    received: sum((s) => s.received),
    codes,
    errorMessages: errorCounts(errorMessages),
    histogram: encodeHistogram(mergeHistograms(snapshots.map((s) => s.histogram))),
    timeline: mergeTimelines(snapshots.map((s) => s.timeline)),
    ...(snapshots.some((s) => s.callLog) && { callLog: mergeCallLogs(snapshots.flatMap((s) => (s.callLog ? [s.callLog] : []))) }),
  };
}
