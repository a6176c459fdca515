// A real headless browser for tests of the HTML report: Debian's chromium,
// installed with apt-get where it is missing and the test runs as root, driven
// over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on
// fd 3, replies and events on fd 4, each one JSON text ended by a NUL byte).
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Test } from 'tap';
import { debianCommand } from './debian-package.js';

const STEP_TIMEOUT_MS = 30_000;

/** chromium's path, installed first if need be; or why it cannot be had here (the reason a test skips). */
export function chromium(): { path: string } | { skip: string } {
  return debianCommand(['chromium', 'chromium-browser'], 'chromium');
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`chromium: no ${what} within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS).unref()),
  ]);
}

/** One page of a headless chromium, with what it logged and requested. */
export interface Page {
  /** Console errors and warnings, uncaught exceptions and error log entries, as text. */
  readonly problems: string[];
  /** URLs the page requested. */
  readonly requests: string[];
  /** Navigates and resolves once the load event fired. */
  open(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page. */
  evaluate<T>(expression: string): Promise<T>;
  /** The whole page as PNG. */
  screenshot(): Promise<Buffer>;
  /** Closes the browser and resolves once it has exited (before its profile directory is removed). */
  close(): Promise<void>;
}

/** Starts chromium (killed when the test ends) and opens one page, in a window as wide as a laptop's screen. */
export async function openPage(t: Test, executable: string, userDataDir: string): Promise<Page> {
  const args = [
    '--headless',
    '--disable-gpu',
    '--remote-debugging-pipe',
    `--user-data-dir=${userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--window-size=1400,1000',
    // As root (CI containers) chromium refuses to start with its sandbox.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  child.stderr?.resume();
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const commands = child.stdio[3] as Writable;
  const replies = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(message: Message) => void>();
  let nextId = 1;
  let buffered = '';
  replies.setEncoding('utf8');
  replies.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\0'); end !== -1; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiting?.reject(new Error(`chromium: ${message.error.message}`));
        else waiting?.resolve(message.result ?? {});
      } else {
        for (const listener of listeners) listener(message);
      }
    }
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exited = gone.then(() => Promise.reject(new Error(`chromium exited (${child.exitCode ?? child.signalCode})`)));
  exited.catch(() => undefined);
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++;
    commands.write(`${JSON.stringify({ id, method, params, ...(sessionId !== undefined && { sessionId }) })}\0`);
    return bounded(Promise.race([exited, new Promise<Record<string, unknown>>((resolve, reject) => pending.set(id, { resolve, reject }))]), `reply to ${method}`);
  };

  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const problems: string[] = [];
  const requests: string[] = [];
  listeners.add((message) => {
    if (message.sessionId !== sessionId) return;
    const params = message.params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (message.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(params.type)) {
      problems.push(`console.${params.type}: ${params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`);
    }
    if (message.method === 'Runtime.exceptionThrown') problems.push(`exception: ${params.exceptionDetails.exception?.description ?? params.exceptionDetails.text}`);
    if (message.method === 'Log.entryAdded' && params.entry.level === 'error') problems.push(`log: ${params.entry.text} ${params.entry.url ?? ''}`);
    if (message.method === 'Network.requestWillBeSent') requests.push(params.request.url);
  });
  for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`, {}, sessionId);
  const event = (method: string): Promise<void> =>
    bounded(new Promise<void>((resolve) => {
      const listener = (message: Message): void => {
        if (message.sessionId !== sessionId || message.method !== method) return;
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
    }), method);

  return {
    problems,
    requests,
    async open(url) {
      const loaded = event('Page.loadEventFired');
      await send('Page.navigate', { url }, sessionId);
      await loaded;
    },
    async evaluate<T>(expression: string) {
      const { result, exceptionDetails } = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as {
        result: { value: T };
        exceptionDetails?: { text: string };
      };
      if (exceptionDetails) throw new Error(`chromium: ${expression}: ${exceptionDetails.text}`);
      return result.value;
    },
    async screenshot() {
      const { cssContentSize } = (await send('Page.getLayoutMetrics', {}, sessionId)) as { cssContentSize: { width: number; height: number } };
      const clip = { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1 };
      const { data } = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip }, sessionId)) as { data: string };
      return Buffer.from(data, 'base64');
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        void send('Browser.close').catch(() => undefined);
        await bounded(gone, 'exit after Browser.close').catch(() => child.kill('SIGKILL'));
        await gone;
      }
    },
  };
}
