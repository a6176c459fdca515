// A one-line progress display on stderr while a run goes on, only when stderr
// is a terminal (quiet in Jobs, CI and pipes).
import type { LoadRun } from './runner.js';

const EVERY_MS = 1000;
const CLEAR_LINE = '\r\x1b[K';

export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Starts the display when `stderr` is a terminal; returns the function that clears it. */
export function showProgress(stderr: NodeJS.WritableStream, run: LoadRun): () => void {
  if (!isTerminal(stderr)) return () => {};
  const startedAt = performance.now();
  let lastCalls = 0;
  let lastAt = startedAt;
  const ticker = setInterval(() => {
    const now = performance.now();
    const { phase, calls, errors } = run.progress();
    const rate = ((calls - lastCalls) * 1000) / (now - lastAt);
    lastCalls = calls;
    lastAt = now;
    const elapsed = ((now - startedAt) / 1000).toFixed(1);
    const what = phase === 'warmup' ? 'warming up' : `${calls} calls, ${Math.round(rate)}/s, ${errors} errors`;
    stderr.write(`${CLEAR_LINE}${elapsed} s: ${what}`);
  }, EVERY_MS);
  return () => {
    clearInterval(ticker);
    stderr.write(CLEAR_LINE);
  };
}
