// What goes wrong inside OpenTelemetry (an export the collector refused or never answered, a full span queue),
// as log lines: at most one a minute, however often it fails, so that a collector that is down never floods the
// log. The first error is logged at once; the ones after it in the same minute are counted, and the next line
// says how many there were. OpenTelemetry reports these through two process-wide hooks, its diag logger and its
// global error handler: both come here.
import { diag, DiagLogLevel, type DiagLogFunction } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import type { Logger } from '../logger.js';

export const OTEL_ERROR_INTERVAL_MS = 60_000;

export class OtelErrors {
  private lastLogged = -Infinity;
  private notLogged = 0;

  constructor(private readonly logger: Logger) {}

  report(error: unknown): void {
    const now = performance.now();
    if (now - this.lastLogged < OTEL_ERROR_INTERVAL_MS) {
      this.notLogged += 1;
      return;
    }
    this.lastLogged = now;
    const message = error instanceof Error ? error.message : String(error);
    const earlier = this.notLogged;
    this.notLogged = 0;
    this.logger.error(
      { otel_errors_not_logged: earlier },
      `OpenTelemetry export failing: ${message}` + (earlier > 0 ? ` (and ${earlier} more errors in the last minute)` : ''),
    );
  }
}

/**
 * Sends OpenTelemetry's errors and warnings to `logger`, rate-limited. The hooks are the process's: the last
 * server to set them (one per process but in tests) gets the lines.
 */
export function routeOtelErrors(logger: Logger): void {
  const errors = new OtelErrors(logger);
  const report: DiagLogFunction = (message, ...args) => errors.report(args.length > 0 ? `${message} ${args.map(String).join(' ')}` : message);
  const ignore: DiagLogFunction = () => undefined;
  setGlobalErrorHandler((error) => errors.report(error));
  diag.setLogger({ error: report, warn: report, info: ignore, debug: ignore, verbose: ignore }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
