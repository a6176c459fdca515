// --fail-on-* thresholds: pass/fail checks on a finished run, for CI pipelines.

export interface GateThresholds {
  /** Fail when errors / calls is above this (0 to 1). */
  readonly errorRate?: number;
  /** Fail when the 99th-percentile latency is above this many milliseconds. */
  readonly p99Ms?: number;
}

export interface GateResult {
  readonly gate: 'error-rate' | 'p99-ms';
  readonly threshold: number;
  readonly actual: number;
  readonly passed: boolean;
}

/** A run that completed no call passes no gate: it showed nothing. */
export function checkGates(thresholds: GateThresholds, run: { calls: number; errorRate: number; p99Ms: number }): GateResult[] {
  const gates: GateResult[] = [];
  const check = (gate: GateResult['gate'], threshold: number | undefined, actual: number): void => {
    if (threshold !== undefined) gates.push({ gate, threshold, actual, passed: run.calls > 0 && actual <= threshold });
  };
  check('error-rate', thresholds.errorRate, run.errorRate);
  check('p99-ms', thresholds.p99Ms, run.p99Ms);
  return gates;
}
