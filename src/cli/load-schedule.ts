// `load`'s schedule flags (ghz's names): --load-schedule with --load-start,
// --load-end, --load-step, --load-step-duration, --load-max-duration ramp the
// open loop's rate; --concurrency-schedule with the same family ramps the
// calls in flight. const is the default: --rps, or --concurrency.
import { UsageError, parseDuration, parsePositiveDuration } from '../client/flags.js';
import { rampFinal, type Ramp } from '../load/schedule.js';

const SCHEDULES = ['const', 'step', 'line'] as const;

const rampFlags = <P extends string>(prefix: P) =>
  ({
    [`${prefix}-schedule`]: { type: 'string' },
    [`${prefix}-start`]: { type: 'string' },
    [`${prefix}-end`]: { type: 'string' },
    [`${prefix}-step`]: { type: 'string' },
    [`${prefix}-step-duration`]: { type: 'string' },
    [`${prefix}-max-duration`]: { type: 'string' },
  }) as Record<`${P}-${'schedule' | 'start' | 'end' | 'step' | 'step-duration' | 'max-duration'}`, { type: 'string' }>;

export const SCHEDULE_FLAGS = { ...rampFlags('load'), ...rampFlags('concurrency') };

export const SCHEDULE_FLAGS_USAGE = `Schedules (ghz's flags):
  --load-schedule S      const (default: --rps), step or line: an open loop whose rate starts at
                         --load-start and changes by --load-step every --load-step-duration (step)
                         or every second (line), until it reaches --load-end or --load-max-duration
                         has passed; then it holds
  --load-start N         calls per second at the start (above 0)
  --load-step N          change per step, calls per second (negative ramps down: --load-step=-10)
  --load-end N           the rate to stop changing at (needed, or --load-max-duration, to ramp down)
  --load-step-duration D step: how long each step lasts
  --load-max-duration D  stop changing the rate after D
  --concurrency-schedule S
                         const (default: --concurrency), step or line: the calls in flight ramp the
                         same way, with --concurrency-start, --concurrency-step (default 1),
                         --concurrency-end, --concurrency-step-duration, --concurrency-max-duration
                         (one of --concurrency-end or --concurrency-max-duration is needed)
  --concurrency-start N  calls in flight at the start
  --concurrency-step N   change per step
  --concurrency-end N    calls in flight to stop changing at
  --concurrency-step-duration D
                         step: how long each step lasts
  --concurrency-max-duration D
                         stop changing the calls in flight after D`;

type Values = Partial<Record<keyof typeof SCHEDULE_FLAGS, string>>;

function numberFlag(flag: string, value: string | undefined, whole: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (whole && !Number.isInteger(n))) {
    throw new UsageError(`--${flag}: "${value}" is not ${whole ? 'a whole number' : 'a number'}`);
  }
  return n;
}

/** One family's flags → a ramp, or undefined for const (then none of its other flags may be given). */
function parseRamp(prefix: 'load' | 'concurrency', values: Values, whole: boolean): Ramp | undefined {
  const flag = (name: string): string => `${prefix}-${name}`;
  const get = (name: string): string | undefined => values[flag(name) as keyof Values];
  const schedule = get('schedule') ?? 'const';
  if (!(SCHEDULES as readonly string[]).includes(schedule)) throw new UsageError(`--${flag('schedule')}: "${schedule}" is not one of ${SCHEDULES.join(', ')}`);
  const others = ['start', 'end', 'step', 'step-duration', 'max-duration'].filter((name) => get(name) !== undefined);
  if (schedule === 'const') {
    if (others.length > 0) throw new UsageError(`--${flag(others[0] as string)} needs --${flag('schedule')} step or line`);
    return undefined;
  }
  const start = numberFlag(flag('start'), get('start'), whole);
  const step = numberFlag(flag('step'), get('step'), whole) ?? (prefix === 'concurrency' ? 1 : undefined);
  const end = numberFlag(flag('end'), get('end'), whole);
  const minimum = prefix === 'load' ? 'above 0' : 'at least 1';
  const fits = (n: number): boolean => (prefix === 'load' ? n > 0 : n >= 1);
  if (start === undefined || !fits(start)) throw new UsageError(`--${flag('schedule')} ${schedule} needs --${flag('start')} ${minimum}`);
  if (step === undefined || step === 0) throw new UsageError(`--${flag('schedule')} ${schedule} needs a --${flag('step')} other than 0`);
  if (end !== undefined && !fits(end)) throw new UsageError(`--${flag('end')}: must be ${minimum}`);
  if (schedule === 'line' && get('step-duration') !== undefined) throw new UsageError(`--${flag('step-duration')} is for step: line changes every second`);
  const stepDuration = get('step-duration');
  if (schedule === 'step' && stepDuration === undefined) throw new UsageError(`--${flag('schedule')} step needs --${flag('step-duration')}`);
  const maxDuration = get('max-duration');
  const ramp: Ramp = {
    start,
    step,
    stepMs: stepDuration === undefined ? 1000 : parsePositiveDuration(flag('step-duration'), stepDuration),
    ...(end !== undefined && { end }),
    ...(maxDuration !== undefined && { maxMs: parseDuration(flag('max-duration'), maxDuration) }),
  };
  const final = rampFinal(ramp);
  if (!Number.isFinite(final) && (prefix === 'concurrency' || step < 0)) {
    throw new UsageError(`--${flag('schedule')} ${schedule}: give --${flag('end')} or --${flag('max-duration')}, so that it knows where to stop`);
  }
  if (!fits(final)) throw new UsageError(`--${flag('schedule')} ${schedule}: it would reach ${final}; it must stay ${minimum}`);
  return ramp;
}

export interface ParsedSchedules {
  readonly rateRamp: Ramp | undefined;
  readonly concurrencyRamp: Ramp | undefined;
}

/** The schedule flags → ramps; `rps` and `concurrency` say whether --rps and -c were given (they are the const schedules). */
export function parseScheduleArgs(values: Values, given: { rps: boolean; concurrency: boolean }): ParsedSchedules {
  const rateRamp = parseRamp('load', values, false);
  const concurrencyRamp = parseRamp('concurrency', values, true);
  if (rateRamp !== undefined && given.rps) throw new UsageError('--rps is the const --load-schedule: give --rps or --load-schedule step|line, not both');
  if (concurrencyRamp !== undefined && given.concurrency) {
    throw new UsageError('--concurrency is the const --concurrency-schedule: give --concurrency or --concurrency-schedule step|line, not both');
  }
  return { rateRamp, concurrencyRamp };
}

/** The most calls a concurrency ramp puts in flight: the slots to make. */
export function rampPeak(ramp: Ramp): number {
  return Math.max(ramp.start, rampFinal(ramp));
}
