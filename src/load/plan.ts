// What a load run is asked to do: plain data, so that the same plan can be
// split across worker threads (structured clone) and printed in the report.
import { DEFAULT_DEADLINE_MS, type ConnectionSpec } from '../client/connect.js';

export const SHAPES = ['unary', 'server', 'client', 'bidi'] as const;
export type Shape = (typeof SHAPES)[number];

/** Exactly one of these ends the measured phase. */
export type StopCondition = { readonly total: number } | { readonly durationMs: number };

export interface LoadPlan {
  readonly target: string;
  /** How to reach it: TLS or plaintext, authority, CA, token, metadata, gzip. */
  readonly connection: ConnectionSpec;
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
}

/** Where a worker's open-loop schedule sits within the whole: its calls are `of` apart, starting at `index`. */
export interface RateShare {
  readonly index: number;
  readonly of: number;
}

export const DEFAULTS = {
  concurrency: 1,
  connections: 1,
  deadlineMs: DEFAULT_DEADLINE_MS,
  messages: 10,
  intervalMs: 0,
  replies: 10,
  payloadBytes: 0,
  warmupMs: 0,
  workers: 1,
} as const;

export function isTotal(stop: StopCondition): stop is { readonly total: number } {
  return 'total' in stop;
}
