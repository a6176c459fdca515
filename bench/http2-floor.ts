// The floor under the harness's http2 driver: a bare node:http2 loop that
// sends the pre-encoded unary request with the driver's own headers and
// request options over the same connections, and does nothing else (no status read, no reply decoded,
// nothing recorded). Its CPU per call is what node:http2 itself costs a
// client; the driver can come near it, not under it.
import type { ClientHttp2Session } from 'node:http2';
import { useLeanAsyncBind } from '../src/load/async-bind.js';
import { isSaturated, measureUsage } from '../src/load/usage.js';
import { OPEN_STREAM } from '../src/load/wire/calls.js';
import { wireEndpoint } from '../src/load/wire/session.js';

export interface FloorPlan {
  /** The method's path, /package.Service/Method. */
  readonly path: string;
  /** The request: one gRPC-framed message. */
  readonly body: Buffer;
  readonly concurrency: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface FloorRun {
  readonly callsPerSecond: number;
  /** This process's CPU per call, warm-up included on both sides (as the harness counts it), in µs. */
  readonly cpuUsPerCall: number;
  readonly saturated: boolean;
  /** Calls made, warm-up included. */
  readonly calls: number;
  /** Streams that closed with an error code: none, or the loop measured something else. */
  readonly failed: number;
}

const ignore = (): void => {};

/** Closed loop, `concurrency` streams in flight spread over `connections` sessions, in this thread. */
export async function http2Floor(address: string, plan: FloorPlan): Promise<FloorRun> {
  // The same bind as the driver's (src/load/async-bind.ts), so the floor pays what the driver pays.
  useLeanAsyncBind();
  const endpoint = wireEndpoint(address, { insecure: true }, 30_000);
  const headers = endpoint.headers(plan.path);
  const sessions = await Promise.all(Array.from({ length: plan.connections }, () => endpoint.connect(10_000)));
  let calls = 0;
  let failed = 0;
  let measuredCalls = 0;
  const usage = measureUsage();
  const startedAt = performance.now();
  const measureFrom = startedAt + plan.warmupMs;
  const endsAt = measureFrom + plan.durationMs;

  const slot = (session: ClientHttp2Session): Promise<void> =>
    new Promise((done) => {
      const call = (): void => {
        const stream = session.request(headers, OPEN_STREAM);
        stream.on('data', ignore);
        stream.on('close', () => {
          calls += 1;
          if (stream.rstCode !== 0) failed += 1;
          const now = performance.now();
          if (now >= measureFrom) measuredCalls += 1;
          if (now < endsAt) call();
          else done();
        });
        stream.end(plan.body);
      };
      call();
    });

  await Promise.all(Array.from({ length: plan.concurrency }, (_, i) => slot(sessions[i % sessions.length]!)));
  const { cpuMs, threads } = usage();
  const measuredMs = performance.now() - measureFrom;
  sessions.forEach((session) => session.close());
  return {
    callsPerSecond: Math.round((measuredCalls * 1000) / measuredMs),
    cpuUsPerCall: Math.round((cpuMs * 1000 * 10) / Math.max(1, calls)) / 10,
    saturated: threads.some(isSaturated),
    calls,
    failed,
  };
}
