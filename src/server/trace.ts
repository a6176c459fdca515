// A call's trace context (W3C traceparent, or Google's x-cloud-trace-context)
// as the fields Cloud Logging uses to put a log line beside its trace.

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE_CONTEXT = /^([\da-f]{32})(?:\/(\d+))?(?:;o=([01]))?/i;

export interface TraceFields {
  'logging.googleapis.com/trace': string;
  'logging.googleapis.com/spanId'?: string;
  'logging.googleapis.com/trace_sampled'?: boolean;
}

/**
 * The Cloud Logging trace fields for a call, from W3C `traceparent` or the older
 * `x-cloud-trace-context`; undefined when neither header is usable or the project
 * is unknown (the trace field must name the project).
 */
export function traceFields(
  project: string | undefined,
  traceparent: string | undefined,
  cloudTraceContext: string | undefined,
): TraceFields | undefined {
  if (project === undefined) return undefined;
  const w3c = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (w3c) {
    return {
      'logging.googleapis.com/trace': `projects/${project}/traces/${w3c[1]}`,
      'logging.googleapis.com/spanId': w3c[2] as string,
      'logging.googleapis.com/trace_sampled': (parseInt(w3c[3] as string, 16) & 1) === 1,
    };
  }
  const legacy = cloudTraceContext === undefined ? null : CLOUD_TRACE_CONTEXT.exec(cloudTraceContext.trim());
  if (legacy) {
    const fields: TraceFields = { 'logging.googleapis.com/trace': `projects/${project}/traces/${(legacy[1] as string).toLowerCase()}` };
    // x-cloud-trace-context carries a decimal span id; Cloud Logging wants 16 hex digits.
    if (legacy[2] !== undefined) fields['logging.googleapis.com/spanId'] = BigInt(legacy[2]).toString(16).padStart(16, '0');
    if (legacy[3] !== undefined) fields['logging.googleapis.com/trace_sampled'] = legacy[3] === '1';
    return fields;
  }
  return undefined;
}
