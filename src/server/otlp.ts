// OTLP export, configured by the standard OTEL_* variables that src/config.ts reads: the resource every signal
// carries, the span exporter tracing.ts batches into, and the metric reader the MeterProvider takes. Each is
// given its whole configuration explicitly, so the SDK's own readers of the environment find nothing to add.
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Config, OtlpExport } from '../config.js';
import type { Logger } from '../logger.js';
import { routeOtelErrors } from './otel-errors.js';

/** service.name and OTEL_RESOURCE_ATTRIBUTES over the SDK's own (telemetry.sdk.*). */
export function otlpResource({ otel }: Config): Resource {
  return defaultResource().merge(resourceFromAttributes({ ...otel.resourceAttributes, 'service.name': otel.serviceName }));
}

/** What both OTLP exporters take (the metric exporter's options extend these). */
type ExporterOptions = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

function exporterOptions({ url, headers, timeoutMs, compression }: OtlpExport): ExporterOptions {
  return {
    url,
    headers: { ...headers },
    timeoutMillis: timeoutMs,
    // The same strings as the exporters' CompressionAlgorithm enum.
    compression: compression as ExporterOptions['compression'],
  };
}

export function otlpTraceExporter(traces: OtlpExport): OTLPTraceExporter {
  return new OTLPTraceExporter(exporterOptions(traces));
}

/**
 * The reader that pushes metrics over OTLP every OTEL_METRIC_EXPORT_INTERVAL, for a MeterProvider's `readers`;
 * undefined when metrics export is off (no OTLP endpoint). Its errors are logged as tracing's are.
 */
export function otlpMetricReader(config: Config, logger: Logger): PeriodicExportingMetricReader | undefined {
  const metrics = config.otel.metrics;
  if (metrics === undefined) return undefined;
  routeOtelErrors(logger);
  return new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter(exporterOptions(metrics)),
    exportIntervalMillis: metrics.intervalMs,
    exportTimeoutMillis: metrics.exportTimeoutMs,
  });
}
