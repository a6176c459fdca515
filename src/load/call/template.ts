// ghz's per-call templates for --data and --metadata: Go template actions
// `{{.RequestNumber}}`, `{{.WorkerID}}`, `{{.UUID}}`, `{{.TimestampUnix}}`,
// `{{.TimestampUnixMilli}}` (and ghz's other call fields), `{{randomString N}}`,
// `{{randomInt MIN MAX}}`, `{{newUUID}}`. A template is parsed once, into
// literal text and small functions; rendering joins them.
import { randomInt as cryptoRandomInt, randomUUID } from 'node:crypto';

/** What a call's template can refer to. */
export interface CallContext {
  /** This call's number across the whole run: 0, 1, 2, … (every thread's calls interleaved). */
  requestNumber: number;
  /** The thread (--workers) making the call: 0, 1, … */
  workerId: number;
}

/** What does not change from call to call: the method called. */
export interface MethodFacts {
  readonly service: string;
  readonly method: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

/** A template that does not parse: `position` is the 0-based offset of the action at fault. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    readonly position: number,
    reason: string,
  ) {
    super(`${reason} at position ${position}`);
  }
}

type Part = string | ((context: CallContext) => string);

export interface Template {
  /** False: the text has no action, and renders as itself. */
  readonly dynamic: boolean;
  render(context: CallContext): string;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomString(length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += ALPHANUMERIC[cryptoRandomInt(ALPHANUMERIC.length)];
  return text;
}

function fields(facts: MethodFacts): Readonly<Record<string, (context: CallContext) => string>> {
  const constant = (text: string) => () => text;
  return {
    RequestNumber: (c) => String(c.requestNumber),
    WorkerID: (c) => String(c.workerId),
    UUID: () => randomUUID(),
    Timestamp: () => new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    TimestampUnix: () => String(Math.floor(Date.now() / 1000)),
    TimestampUnixMilli: () => String(Date.now()),
    TimestampUnixNano: () => String(BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)),
    FullyQualifiedName: constant(`${facts.service}.${facts.method}`),
    MethodName: constant(facts.method),
    ServiceName: constant(facts.service),
    InputName: constant(facts.inputName),
    OutputName: constant(facts.outputName),
    IsClientStreaming: constant(String(facts.clientStreaming)),
    IsServerStreaming: constant(String(facts.serverStreaming)),
  };
}

function integerArgument(word: string | undefined, position: number, what: string): number {
  if (word === undefined || !/^-?\d+$/.test(word)) throw new TemplateError(position, `${what} needs a whole number, got ${word === undefined ? 'nothing' : `"${word}"`}`);
  return Number(word);
}

/** One action's words → how to render it. */
function action(words: string[], position: number, facts: MethodFacts): (context: CallContext) => string {
  const [head, ...args] = words;
  if (head === undefined) throw new TemplateError(position, 'empty action {{}}');
  if (head.startsWith('.')) {
    const render = fields(facts)[head.slice(1)];
    if (render === undefined) throw new TemplateError(position, `unknown field "${head}" (known: ${Object.keys(fields(facts)).map((f) => `.${f}`).join(', ')})`);
    if (args.length > 0) throw new TemplateError(position, `${head} takes no arguments`);
    return render;
  }
  switch (head) {
    case 'randomString': {
      if (args.length !== 1) throw new TemplateError(position, 'randomString takes one argument: the length');
      const length = integerArgument(args[0], position, 'randomString');
      if (length < 1) throw new TemplateError(position, 'randomString needs a length of at least 1');
      return () => randomString(length);
    }
    case 'randomInt': {
      if (args.length !== 2) throw new TemplateError(position, 'randomInt takes two arguments: MIN and MAX');
      const min = integerArgument(args[0], position, 'randomInt');
      const max = integerArgument(args[1], position, 'randomInt');
      if (max <= min) throw new TemplateError(position, `randomInt needs MIN < MAX, got ${min} and ${max}`);
      return () => String(min + cryptoRandomInt(max - min));
    }
    case 'newUUID':
      if (args.length > 0) throw new TemplateError(position, 'newUUID takes no arguments');
      return () => randomUUID();
    default:
      throw new TemplateError(position, `unknown function "${head}" (known: randomString, randomInt, newUUID)`);
  }
}

/** Parses `text` once; throws TemplateError naming the position of what does not parse. */
export function parseTemplate(text: string, facts: MethodFacts): Template {
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open === -1) break;
    const close = text.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(open, 'unclosed action "{{"');
    if (open > at) parts.push(text.slice(at, open));
    // Go's trim markers, {{- and -}}, are accepted and trim nothing here.
    const inner = text.slice(open + 2, close).replace(/^-\s/, '').replace(/\s-$/, '').trim();
    parts.push(action(inner === '' ? [] : inner.split(/\s+/), open, facts));
    at = close + 2;
  }
  if (at < text.length) parts.push(text.slice(at));
  if (parts.every((p) => typeof p === 'string')) return { dynamic: false, render: () => text };
  return {
    dynamic: true,
    render(context) {
      let out = '';
      for (const part of parts) out += typeof part === 'string' ? part : part(context);
      return out;
    },
  };
}
