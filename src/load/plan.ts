// What a load run is asked to do: plain data, so that the same plan can be
// split across worker threads (structured clone) and printed in the report.
import { DEFAULT_DEADLINE_MS, type ConnectionSpec } from '../client/connect.js';
import type { HelloRequest } from '../generated/helloworld/HelloRequest.js';
import type { CallSpec } from './call/requests.js';
import type { Ramp } from './schedule.js';

export const SHAPES = ['unary', 'server', 'client', 'bidi'] as const;
export type Shape = (typeof SHAPES)[number];

export const DRIVERS = ['http2', 'grpc-js'] as const;
/** http2: gRPC framed by the harness on node:http2 (lean); grpc-js: calls through @grpc/grpc-js, as an application makes them. */
export type DriverName = (typeof DRIVERS)[number];

/** What ends the measured phase: N calls, a time, or N calls unless the time runs out first (ghz's -x). */
export type StopCondition = { readonly total: number; readonly durationMs?: number } | { readonly durationMs: number };

export interface LoadPlan {
  readonly target: string;
  /** How to reach it: TLS or plaintext, authority, CA, token, metadata, gzip. */
  readonly connection: ConnectionSpec;
  readonly driver: DriverName;
  /** Time allowed to open each connection (apart from the calls' deadline). */
  readonly connectTimeoutMs: number;
  readonly shape: Shape;
  /** Calls in flight at once (closed loop), or the most that may be in flight (open loop). */
  readonly concurrency: number;
  /** Separate HTTP/2 connections (channels); calls are spread over them round-robin. */
  readonly connections: number;
  readonly stop: StopCondition;
  /** Open loop: calls started per second, on a fixed schedule. Undefined: closed loop. */
  readonly rps: number | undefined;
  /** Load applied before measuring; its calls are not in the report's figures. */
  readonly warmupMs: number;
  /** Per-call deadline. */
  readonly deadlineMs: number;
  /** client and bidi: messages sent per stream. */
  readonly messages: number;
  /** client and bidi: pause between sent messages; server: the interval_ms asked of the server. */
  readonly intervalMs: number;
  /** server: replies asked for per call (HelloRequest.count). */
  readonly replies: number;
  /** Filler bytes in each request (HelloRequest.payload) and asked for in each reply (response_size). */
  readonly payloadBytes: number;
  /** Threads that generate the load; each opens its own share of the connections. */
  readonly workers: number;
  // Any method (--call, --data) and load schedules:
  /** The method called and what it is sent; undefined: the Greeter's method of `shape` with its default request. */
  readonly call?: CallSpec;
  /** Open loop: the rate ramps (--load-schedule step|line) instead of staying at `rps`. */
  readonly rateRamp?: Ramp;
  /** The calls in flight ramp (--concurrency-schedule step|line) up to `concurrency` slots instead of staying there. */
  readonly concurrencyRamp?: Ramp;
  /**
   * --shard INDEX/N: this process runs part `index` of `of` of the plan (a pod of an Indexed Job); every other
   * field is the whole plan's. {0, 1}: the whole plan.
   */
  readonly shard: RateShare;
  /** --csv-calls: calls this process lists one by one (0: none); the rest are only counted. */
  readonly listCalls: number;
  /** --skipFirst (ghz): the measured phase's first calls to leave out of every figure (counted as warm-up). */
  readonly skipFirst?: number;
  /** --name and --tags (ghz): the run's name and tags, as the report gives them. */
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Where a worker's open-loop schedule sits within the whole: its calls are `of` apart, starting at `index`. */
export interface RateShare {
  readonly index: number;
  readonly of: number;
}

export const DEFAULTS = {
  driver: 'http2',
  concurrency: 1,
  connections: 1,
  deadlineMs: DEFAULT_DEADLINE_MS,
  connectTimeoutMs: 10_000,
  messages: 10,
  intervalMs: 0,
  replies: 10,
  payloadBytes: 0,
  warmupMs: 0,
  workers: 1,
  shard: { index: 0, of: 1 },
  listCalls: 0,
} as const;

export function isTotal(stop: StopCondition): stop is { readonly total: number } {
  return 'total' in stop;
}

/** The one request every call of the plan sends (each message of a stream too). */
export function requestFor(plan: Pick<LoadPlan, 'shape' | 'replies' | 'intervalMs' | 'payloadBytes'>): HelloRequest {
  return {
    name: 'load',
    response_size: plan.payloadBytes,
    ...(plan.payloadBytes > 0 && { payload: Buffer.alloc(plan.payloadBytes) }),
    ...(plan.shape === 'server' && { count: plan.replies, interval_ms: plan.intervalMs }),
  };
}
