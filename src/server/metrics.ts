// The server's metrics through OpenTelemetry: gRPC's own, by gRFC A66's names
// and attributes (so that dashboards made for grpc-go, grpc-java and C++ read
// them), recorded by the call interceptor (calls.ts) when a call starts and
// when it ends, and the server's own under `cloudrun_grpc.`, read from the
// counts their owners keep (admission, the call bounds, the in-flight list,
// health) only when a reader collects them. docs/observability.md lists them.
//
// Per call this costs one counter add and three histogram records (the SDK
// hashes the attribute set on each); the attribute objects are made once per
// method and status code, so a call allocates nothing for them
// (docs/performance.md has the instruction counts).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, type MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ConfigError } from '../config.js';
import type { Logger } from '../logger.js';

/** A66's bucket boundaries for latency, in seconds. */
export const DURATION_BUCKETS = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.013,
  0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 2, 5, 10,
  20, 50, 100,
];
/** A66's bucket boundaries for message sizes, in bytes. */
export const SIZE_BUCKETS = [
  0, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296,
];
/** A66: the `grpc.method` of a call to a method the server does not register, so that clients cannot grow the series. */
export const OTHER_METHOD = 'other';

/** What the server's own metrics read, at collection only. */
export interface ServerCounts {
  /** Calls in flight now. */
  inFlight(): number;
  /** Calls refused so far: beyond MAX_CONCURRENT_CALLS, and beyond MAX_HEALTH_WATCHES. */
  shed(): { readonly calls: number; readonly watches: number };
  /** Calls ended so far by REQUEST_TIMEOUT_MS, and by the memory budget. */
  ended(): { readonly requestTimeout: number; readonly memoryBudget: number };
  /** Whether the server's health says SERVING. */
  serving(): boolean;
}

/** One method's attribute sets: `grpc.method` alone, and with each `grpc.status`, made on first use. */
export interface MethodSeries {
  readonly started: Attributes;
  readonly ended: Attributes[];
}

/** What a call tells the metrics when it ends. */
export interface MeteredCall {
  /** performance.now() when the call arrived. */
  readonly started: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

const BYTES = { unit: 'By', advice: { explicitBucketBoundaries: SIZE_BUCKETS } };

export class CallMetrics {
  private readonly callsStarted: Counter;
  private readonly duration: Histogram;
  private readonly sent: Histogram;
  private readonly received: Histogram;
  /** Per registered method (only those reach here by name: any other is OTHER_METHOD), so it stays small. */
  private readonly byMethod = new Map<string, MethodSeries>();
  private readonly other: MethodSeries;

  constructor(meter: Meter, counts: ServerCounts) {
    this.callsStarted = meter.createCounter('grpc.server.call.started', {
      description: 'Number of calls started, whether they were served or refused.',
      unit: '{call}',
    });
    this.duration = meter.createHistogram('grpc.server.call.duration', {
      description: 'Time from the arrival of the call to the end of its status, or to its cancellation.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    this.sent = meter.createHistogram('grpc.server.call.sent_total_compressed_message_size', {
      ...BYTES,
      description: 'Bytes of the reply messages of a call, as sent (compressed, without gRPC framing).',
    });
    this.received = meter.createHistogram('grpc.server.call.rcvd_total_compressed_message_size', {
      ...BYTES,
      description: 'Bytes of the request messages of a call, as received (compressed, without gRPC framing).',
    });
    this.other = series(OTHER_METHOD);
    observeServer(meter, counts);
  }

  /** The series of a call to `path`, counted as started; `registered` false for a method no service has. */
  start(path: string, registered: boolean): MethodSeries {
    let method = registered ? this.byMethod.get(path) : this.other;
    if (method === undefined) this.byMethod.set(path, (method = series(path)));
    this.callsStarted.add(1, method.started);
    return method;
  }

  /** A call of `method` has ended with `code`, which its client received. */
  end(method: MethodSeries, code: grpc.status, call: MeteredCall): void {
    const attributes = (method.ended[code] ??= { ...method.started, 'grpc.status': grpc.status[code] });
    this.duration.record((performance.now() - call.started) / 1000, attributes);
    this.sent.record(call.bytesOut, attributes);
    this.received.record(call.bytesIn, attributes);
  }
}

function series(method: string): MethodSeries {
  return { started: { 'grpc.method': method }, ended: [] };
}

/** The server's own metrics: observed from `counts` when a reader collects, so no call pays for them. */
function observeServer(meter: Meter, counts: ServerCounts): void {
  meter
    .createObservableUpDownCounter('cloudrun_grpc.server.calls_in_flight', {
      description: 'Calls in flight now (health checks included).',
      unit: '{call}',
    })
    .addCallback((result) => result.observe(counts.inFlight()));
  meter
    .createObservableCounter('cloudrun_grpc.server.calls_shed', {
      description: 'Calls refused with RESOURCE_EXHAUSTED before their handler ran, by the limit they met.',
      unit: '{call}',
    })
    .addCallback((result) => {
      const { calls, watches } = counts.shed();
      result.observe(calls, { limit: 'MAX_CONCURRENT_CALLS' });
      result.observe(watches, { limit: 'MAX_HEALTH_WATCHES' });
    });
  meter
    .createObservableCounter('cloudrun_grpc.server.calls_ended', {
      description: 'Calls the server ended itself, by the bound they passed.',
      unit: '{call}',
    })
    .addCallback((result) => {
      const { requestTimeout, memoryBudget } = counts.ended();
      result.observe(requestTimeout, { bound: 'REQUEST_TIMEOUT_MS' });
      result.observe(memoryBudget, { bound: 'MEMORY_LIMIT_MIB' });
    });
  meter
    .createObservableGauge('cloudrun_grpc.server.serving', {
      description: "1 while the server's health is SERVING, 0 otherwise (starting, draining).",
    })
    .addCallback((result) => result.observe(counts.serving() ? 1 : 0));
}

/**
 * Prometheus names carry the unit (`_seconds`, `_bytes`), as the OpenTelemetry specification's Prometheus
 * compatibility says and as grpc-go's and grpc-java's exports do; the JS exporter leaves it off.
 */
const PROMETHEUS_UNITS: Readonly<Record<string, string>> = { s: '_seconds', By: '_bytes' };

function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const suffix = PROMETHEUS_UNITS[metric.descriptor.unit];
        return suffix === undefined ? metric : { ...metric, descriptor: { ...metric.descriptor, name: metric.descriptor.name + suffix } };
      }),
    })),
  };
}

/** The Prometheus text exposition of what `reader` collects, at GET /metrics. */
function metricsEndpoint(reader: PrometheusExporter, logger: Logger): HttpServer {
  const serializer = new PrometheusSerializer('', false, undefined, false, true);
  return createHttpServer((request, response) => {
    if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    reader.collect().then(
      ({ resourceMetrics }) => {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        response.end(serializer.serialize(withUnitSuffixes(resourceMetrics)));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'cannot collect metrics for a scrape');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('cannot collect metrics\n');
      },
    );
  });
}

export interface MetricsOptions {
  /** The port of the Prometheus endpoint (METRICS_PORT; 0 for any free port); undefined: no endpoint. */
  readonly port: number | undefined;
  /** The interface it listens on; undefined: every interface. */
  readonly host: string | undefined;
  /** More readers (an OTLP exporter's), beside the Prometheus endpoint's. */
  readonly readers?: readonly MetricReader[];
  readonly logger: Logger;
}

/** The meter provider, its readers and the Prometheus endpoint: what the server starts and stops. */
export interface ServerMetrics {
  readonly calls: CallMetrics;
  /** Opens the Prometheus endpoint, if any; resolves to its port. Fails naming METRICS_PORT when it cannot listen. */
  listen(): Promise<number | undefined>;
  /** Exports what is pending (push readers) and closes the endpoint, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

export function createMetrics(options: MetricsOptions, counts: ServerCounts): ServerMetrics {
  const prometheus = options.port === undefined ? undefined : new PrometheusExporter({ preventServerStart: true });
  const readers = [...(prometheus === undefined ? [] : [prometheus]), ...(options.readers ?? [])];
  const provider = new MeterProvider({ readers });
  const calls = new CallMetrics(provider.getMeter('cloudrun-grpc'), counts);
  const endpoint = prometheus === undefined ? undefined : metricsEndpoint(prometheus, options.logger);
  return {
    calls,
    async listen() {
      if (endpoint === undefined) return undefined;
      await new Promise<void>((resolve, reject) => {
        endpoint.once('error', (error: Error) =>
          reject(new ConfigError('METRICS_PORT', `cannot serve metrics on ${options.host ?? 'every interface'} port ${options.port}: ${error.message}`)),
        );
        endpoint.listen({ port: options.port, host: options.host }, resolve);
      });
      const { port } = endpoint.address() as { port: number };
      options.logger.info({ metrics_port: port }, `Prometheus metrics at http://${options.host ?? '*'}:${port}/metrics`);
      return port;
    },
    async shutdown(timeoutMs) {
      endpoint?.close();
      endpoint?.closeAllConnections();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
      await Promise.race([provider.shutdown().catch((error: unknown) => options.logger.warn({ err: error }, 'metrics export at shutdown failed')), timeout]);
      clearTimeout(timer);
    },
  };
}
