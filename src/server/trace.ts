// A call's trace context (W3C traceparent, or Google's x-cloud-trace-context):
// the caller's span, which the call's own span continues (tracing.ts), and the
// fields Cloud Logging uses to put a log line beside its trace.
import { TraceFlags, type Span } from '@opentelemetry/api';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE_CONTEXT = /^([\da-f]{32})(?:\/(\d+))?(?:;o=([01]))?/i;

export interface TraceFields {
  'logging.googleapis.com/trace': string;
  'logging.googleapis.com/spanId'?: string;
  'logging.googleapis.com/trace_sampled'?: boolean;
}

/** The caller's span as its headers name it: ids in lower-case hex. */
export interface CallerSpan {
  readonly traceId: string;
  /** x-cloud-trace-context may leave it out. */
  readonly spanId: string | undefined;
  /** undefined when x-cloud-trace-context has no `;o=`. */
  readonly sampled: boolean | undefined;
}

/** The caller's span from W3C `traceparent`, else the older `x-cloud-trace-context`; undefined when neither is usable. */
export function callerSpan(traceparent: string | undefined, cloudTraceContext: string | undefined): CallerSpan | undefined {
  const w3c = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (w3c) {
    return { traceId: w3c[1] as string, spanId: w3c[2] as string, sampled: (parseInt(w3c[3] as string, 16) & 1) === 1 };
  }
  const legacy = cloudTraceContext === undefined ? null : CLOUD_TRACE_CONTEXT.exec(cloudTraceContext.trim());
  if (legacy) {
    return {
      traceId: (legacy[1] as string).toLowerCase(),
      // x-cloud-trace-context carries a decimal span id; W3C and Cloud Logging want 16 hex digits.
      spanId: legacy[2] === undefined ? undefined : BigInt(legacy[2]).toString(16).padStart(16, '0'),
      sampled: legacy[3] === undefined ? undefined : legacy[3] === '1',
    };
  }
  return undefined;
}

/**
 * The Cloud Logging trace fields naming span `spanId` of trace `traceId`; the trace field must name the project.
 */
export function spanTraceFields(project: string, { traceId, spanId, sampled }: CallerSpan): TraceFields {
  const fields: TraceFields = { 'logging.googleapis.com/trace': `projects/${project}/traces/${traceId}` };
  if (spanId !== undefined) fields['logging.googleapis.com/spanId'] = spanId;
  if (sampled !== undefined) fields['logging.googleapis.com/trace_sampled'] = sampled;
  return fields;
}

/**
 * The Cloud Logging trace fields for a call, from its caller's span (see callerSpan); undefined when neither
 * header is usable or the project is unknown.
 */
export function traceFields(
  project: string | undefined,
  traceparent: string | undefined,
  cloudTraceContext: string | undefined,
): TraceFields | undefined {
  if (project === undefined) return undefined;
  const caller = callerSpan(traceparent, cloudTraceContext);
  return caller === undefined ? undefined : spanTraceFields(project, caller);
}

/** `span`'s ids when it is sampled, so exported (for the access line); undefined when it is not. */
export function sampledSpan(span: Span): CallerSpan | undefined {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return (traceFlags & TraceFlags.SAMPLED) === 0 ? undefined : { traceId, spanId, sampled: true };
}
