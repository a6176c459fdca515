// The "time" field of every log line, formatted the cheap way.

/**
 * pino.stdTimeFunctions.isoTime builds a Date and formats all of it for every line; this formats the
 * date and time once a second and adds the milliseconds. Same output: `,"time":"2026-11-25T22:05:23.380Z"`.
 */
let second = Number.NaN;
let secondPrefix = '';
/** Lines logged within one millisecond (several, at thousands of calls a second) share one string. */
let lastNow = Number.NaN;
let lastTime = '';
export function isoTime(now = Date.now()): string {
  if (now === lastNow) return lastTime;
  const millis = now % 1000;
  if (now - millis !== second) {
    second = now - millis;
    secondPrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  lastNow = now;
  lastTime = `${secondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z"`;
  return lastTime;
}

