// An OTLP/HTTP receiver for tests: it takes POST /v1/traces and /v1/metrics with a protobuf body, as a collector does, and
// decodes it with the official opentelemetry-proto definitions (shipped as .proto files by
// @opentelemetry/otlp-grpc-exporter-base 0.38, fetched by the test with npm pack: as a dependency its old
// peer ranges would conflict with the SDK's), not with the SDK's own encoder, so what is checked is what went
// on the wire.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { cachedNpmPackage } from './npm-package.js';
import type { Teardown } from './server.js';

const PROTOS = join(await cachedNpmPackage('@opentelemetry/otlp-grpc-exporter-base@0.38.0', 'otlp-grpc-exporter-base-0.38.0'), 'build', 'protos');

function loadProtos(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTOS, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  return root;
}

const root = loadProtos();
const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
const ExportMetricsServiceRequest = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');

/** The names of the metrics in an export, with their resource's service.name. */
function decodeMetricNames(body: Buffer): string[] {
  const request = ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), { defaults: true }) as {
    resourceMetrics: { scopeMetrics: { metrics: { name: string }[] }[] }[];
  };
  return request.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name)));
}

/** A span as received, ids in hex, attributes as plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 2: SPAN_KIND_SERVER. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  /** The resource's attributes, for the spans of one export. */
  resource: Record<string, string | number | boolean>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    attributes[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue ?? ''));
  }
  return attributes;
}

function decodeSpans(body: Buffer): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: String, bytes: String, enums: Number, defaults: true }) as {
    resourceSpans: { resource?: { attributes: KeyValue[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  };
  const spans: ReceivedSpan[] = [];
  const hex = (base64: unknown) => Buffer.from(base64 as string, 'base64').toString('hex');
  for (const resourceSpans of request.resourceSpans) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const status = span.status as { code?: number; message?: string } | undefined;
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          traceState: span.traceState as string,
          name: span.name as string,
          kind: span.kind as number,
          startTimeUnixNano: BigInt(span.startTimeUnixNano as string),
          endTimeUnixNano: BigInt(span.endTimeUnixNano as string),
          attributes: attributesOf(span.attributes as KeyValue[]),
          status: { code: status?.code ?? 0, message: status?.message ?? '' },
          resource,
        });
      }
    }
  }
  return spans;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  /** Every span received so far, in the order they came. */
  readonly spans: ReceivedSpan[];
  /** The name of every metric in every export to /v1/metrics, in the order they came. */
  readonly metrics: string[];
  /** What the requests that were not a protobuf export to /v1/traces or /v1/metrics were (path and content type): none, if all is well. */
  readonly rejected: string[];
}

/** Starts a receiver on 127.0.0.1:0 for test `t`, closed when the test ends. */
export async function startOtlpReceiver(t: Teardown): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const metrics: string[] = [];
  const server = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      const type = request.headers['content-type'];
      if (request.method !== 'POST' || !['/v1/traces', '/v1/metrics'].includes(request.url ?? '') || type !== 'application/x-protobuf') {
        rejected.push(`${request.method} ${request.url} ${type}`);
        response.writeHead(404).end();
        return;
      }
      if (request.url === '/v1/metrics') metrics.push(...decodeMetricNames(body));
      else spans.push(...decodeSpans(body));
      // Both responses are empty messages: one encoding serves.
      const reply = ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish();
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(reply);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, spans, metrics, rejected };
}
