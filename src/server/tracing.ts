// A server span per RPC, exported over OTLP (otlp.ts) when OTEL_EXPORTER_OTLP_ENDPOINT is set. calls.ts starts
// it when the call's metadata arrives, continuing the caller's span (traceparent or x-cloud-trace-context, read
// by trace.ts), and ends it in TrackedCall.finish() with the status that went on the wire; the access line then
// names this span (spanId), so Cloud Logging shows the line beside it. Attributes follow OpenTelemetry's RPC
// conventions: rpc.system, rpc.service, rpc.method, rpc.grpc.status_code.
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import {
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { Config, OtlpTraces } from '../config.js';
import type { Logger } from '../logger.js';
import { routeOtelErrors } from './otel-errors.js';
import { otlpResource, otlpTraceExporter } from './otlp.js';
import { callerSpan, type CallerSpan } from './trace.js';

export type { Span } from '@opentelemetry/api';

/**
 * The codes that make a server span an error, as OpenTelemetry's gRPC conventions list them: the server's own
 * faults. The others (INVALID_ARGUMENT, NOT_FOUND, CANCELLED...) are the caller's and leave the status unset.
 */
const SERVER_ERRORS: ReadonlySet<grpc.status> = new Set([
  status.UNKNOWN,
  status.DEADLINE_EXCEEDED,
  status.UNIMPLEMENTED,
  status.INTERNAL,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/** What every span of one method shares, made once per method. */
interface MethodSpans {
  /** `greeter.Greeter/SayHello`: the full method name without its leading slash. */
  readonly name: string;
  readonly attributes: Attributes;
}

function methodSpans(path: string): MethodSpans {
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  const method = path.slice(slash + 1);
  return { name: `${service}/${method}`, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } };
}

function samplerOf({ sampler, samplerRatio }: OtlpTraces): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplerRatio) });
  }
}

/** The context holding the caller's span as a remote parent, or the root context when it names no usable span. */
function parentContext(caller: CallerSpan | undefined, tracestate: string | undefined): Context {
  if (caller?.spanId === undefined) return ROOT_CONTEXT;
  const parent = {
    traceId: caller.traceId,
    spanId: caller.spanId,
    traceFlags: caller.sampled === true ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
    traceState: tracestate === undefined ? undefined : new TraceState(tracestate),
  };
  return isSpanContextValid(parent) ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

export class Tracing {
  private readonly tracer: Tracer;
  /** Per method path; only the methods the server serves reach the interceptor, so this stays small. */
  private readonly methods = new Map<string, MethodSpans>();

  constructor(private readonly provider: TracerProvider) {
    this.tracer = provider.getTracer('cloudrun-grpc');
  }

  /** Starts the span of a call to `method` that began at `started` (performance.now()), with its request metadata. */
  start(method: string, metadata: grpc.Metadata, started: number): Span {
    const traceparent = metadata.get('traceparent')[0] as string | undefined;
    const caller = callerSpan(traceparent, metadata.get('x-cloud-trace-context')[0] as string | undefined);
    // tracestate goes with traceparent only (W3C Trace Context).
    const tracestate = traceparent === undefined ? undefined : (metadata.get('tracestate')[0] as string | undefined);
    let spans = this.methods.get(method);
    if (spans === undefined) this.methods.set(method, (spans = methodSpans(method)));
    return this.tracer.startSpan(
      spans.name,
      { kind: SpanKind.SERVER, attributes: spans.attributes, startTime: started },
      parentContext(caller, tracestate),
    );
  }

  /** Ends `span` with the status the client got. */
  end(span: Span, code: grpc.status, details: string | undefined): void {
    span.setAttribute('rpc.grpc.status_code', code);
    if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
    span.end();
  }

  /**
   * Exports the spans still waiting and stops, giving up after `timeoutMs` (the drain's last step: Cloud Run
   * may throttle the CPU once the instance has no request, so what is not sent now may never be).
   */
  async shutdown(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.provider.shutdown(), late]);
    clearTimeout(timer);
  }
}

/** The server's tracing, or undefined when traces are off (no OTLP endpoint: the default). */
export function createTracing(config: Config, logger: Logger): Tracing | undefined {
  const traces = config.otel.traces;
  if (traces === undefined) return undefined;
  routeOtelErrors(logger);
  const { batch } = traces;
  const processor = new BatchSpanProcessor({
    exporter: otlpTraceExporter(traces),
    scheduledDelayMillis: batch.scheduleDelayMs,
    maxQueueSize: batch.maxQueueSize,
    maxExportBatchSize: batch.maxExportBatchSize,
    exportTimeoutMillis: batch.exportTimeoutMs,
  });
  return new Tracing(new TracerProvider({ resource: otlpResource(config), sampler: samplerOf(traces), spanProcessors: [processor] }));
}
