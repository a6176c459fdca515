// The measured phase second by second: calls started and completed, errors by
// code, and a latency histogram per second. Seconds are wall-clock (Unix)
// seconds, so the series of threads, processes and pods line up and merge
// exactly. Per call this is a few array increments and one histogram record:
// completions arrive in time order, so only the current second's histogram is
// open; a finished second is added to the run's histogram (once a second, not
// once a call) and kept in HdrHistogram's compressed encoding.
import * as grpc from '@grpc/grpc-js';
import { createHistogram, encodeHistogram, mergeHistograms, recordLatency, type Histogram } from './histogram.js';

export interface IntervalSnapshot {
  /** The interval's start, in Unix seconds; each interval is one second long. */
  readonly second: number;
  readonly started: number;
  readonly completed: number;
  /**
   * How much of this second the measured phase covered, in ms: 1000 but in its first and last seconds (it
   * starts and ends within them), so that a chart draws their calls as a rate over the time they had.
   */
  readonly coveredMs: number;
  /** Status code name → calls that completed in this second with that status, OK excluded. */
  readonly errors: Readonly<Record<string, number>>;
  /** Latencies (µs) of the calls that completed in this second, HdrHistogram compressed base64. */
  readonly histogram: string;
}

/** When this thread's performance.now() was 0, in Unix ms (read once: the getter is slow on a hot path). */
const TIME_ORIGIN = performance.timeOrigin;


const EMPTY = encodeHistogram(createHistogram());

export class Timeline {
  /** Unix second of index 0; NaN until the first call. */
  private first = Number.NaN;
  /** The earliest call start and the latest call end, in Unix ms: the phase's edges within its first and last seconds. */
  private firstStartMs = Infinity;
  private lastEndMs = -Infinity;
  private readonly started: number[] = [];
  private readonly completed: number[] = [];
  /** Per second: status code → errors, made on the second's first error. */
  private readonly errors: (Map<grpc.status, number> | undefined)[] = [];
  /** Closed seconds' histograms, encoded; the open second's is `open`. */
  private readonly histograms: string[] = [];
  private openIndex = 0;
  private readonly open: Histogram = createHistogram();
  /** Every closed second's calls. */
  private readonly closed: Histogram = createHistogram();

  record(code: grpc.status, latencyMs: number, startedAt: number, endedAt: number): void {
    const startMs = TIME_ORIGIN + startedAt;
    const endMs = TIME_ORIGIN + endedAt;
    if (startMs < this.firstStartMs) this.firstStartMs = startMs;
    if (endMs > this.lastEndMs) this.lastEndMs = endMs;
    const startedIndex = this.indexOf(Math.floor(startMs / 1000));
    // A completion is filed in the open second or a later one (never earlier), so one histogram is open at a time.
    const endedIndex = Math.max(this.indexOf(Math.floor(endMs / 1000)), this.openIndex);
    this.started[startedIndex] = (this.started[startedIndex] as number) + 1;
    this.completed[endedIndex] = (this.completed[endedIndex] as number) + 1;
    if (endedIndex !== this.openIndex) this.moveOpen(endedIndex);
    recordLatency(this.open, latencyMs);
    if (code === grpc.status.OK) return;
    let errors = this.errors[endedIndex];
    if (errors === undefined) this.errors[endedIndex] = errors = new Map();
    errors.set(code, (errors.get(code) ?? 0) + 1);
  }

  snapshot(): IntervalSnapshot[] {
    return this.started.map((started, i) => ({
      second: this.first + i,
      started,
      completed: this.completed[i] as number,
      coveredMs: this.coveredMs(this.first + i),
      errors: Object.fromEntries([...(this.errors[i] ?? [])].map(([code, n]) => [grpc.status[code] ?? String(code), n])),
      histogram: i === this.openIndex ? encodeHistogram(this.open) : (this.histograms[i] ?? EMPTY),
    }));
  }

  /** Every call's latency (µs), all seconds together. */
  total(): Histogram {
    const total = createHistogram();
    total.add(this.closed);
    total.add(this.open);
    return total;
  }

  private coveredMs(second: number): number {
    const from = Math.max(second * 1000, this.firstStartMs);
    const to = Math.min((second + 1) * 1000, this.lastEndMs);
    return Math.round(Math.max(0, to - from) * 1000) / 1000;
  }

  /** The index of Unix second `second`, growing the series (at either end) to hold it. */
  private indexOf(second: number): number {
    if (Number.isNaN(this.first)) this.first = second;
    if (second < this.first) {
      // A call that started before the first recorded one (calls complete out of order): rare, at the start only.
      const missing = this.first - second;
      this.started.unshift(...new Array<number>(missing).fill(0));
      this.completed.unshift(...new Array<number>(missing).fill(0));
      this.errors.unshift(...new Array<undefined>(missing));
      this.histograms.unshift(...new Array<string>(missing).fill(EMPTY));
      this.openIndex += missing;
      this.first = second;
    }
    const index = second - this.first;
    while (this.started.length <= index) {
      this.started.push(0);
      this.completed.push(0);
      this.errors.push(undefined);
      this.histograms.push(EMPTY);
    }
    return index;
  }

  private moveOpen(index: number): void {
    this.histograms[this.openIndex] = this.open.totalCount === 0 ? EMPTY : encodeHistogram(this.open);
    this.closed.add(this.open);
    this.open.reset();
    this.openIndex = index;
  }
}

/**
 * One series holding every call of the given ones, second by second (histograms merged exactly); seconds in
 * which none of them started or completed a call are there with zeros, so the series has no gaps. A second's
 * coverage is the longest of its series' (threads and shards start and end at about the same time); a gap's is 1000.
 */
export function mergeTimelines(series: readonly (readonly IntervalSnapshot[])[]): IntervalSnapshot[] {
  const bySecond = new Map<number, IntervalSnapshot[]>();
  for (const interval of series.flat()) {
    const list = bySecond.get(interval.second);
    if (list === undefined) bySecond.set(interval.second, [interval]);
    else list.push(interval);
  }
  if (bySecond.size === 0) return [];
  const seconds = [...bySecond.keys()];
  const first = Math.min(...seconds);
  const last = Math.max(...seconds);
  const merged: IntervalSnapshot[] = [];
  for (let second = first; second <= last; second++) {
    const intervals = bySecond.get(second) ?? [];
    const errors: Record<string, number> = {};
    for (const interval of intervals) {
      for (const [code, n] of Object.entries(interval.errors)) errors[code] = (errors[code] ?? 0) + n;
    }
    merged.push({
      second,
      started: intervals.reduce((n, i) => n + i.started, 0),
      completed: intervals.reduce((n, i) => n + i.completed, 0),
      coveredMs: intervals.length === 0 ? 1000 : Math.max(...intervals.map((i) => i.coveredMs)),
      errors,
      // Re-encoded even when one interval: the same calls then always give the same text, however merged.
      histogram: encodeHistogram(mergeHistograms(intervals.map((i) => i.histogram))),
    });
  }
  return merged;
}
