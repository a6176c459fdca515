// A log line serialized by our own code, for the one line whose per-line cost in
// pino is too dear: the access line (access-log.ts), written for every call. It
// is still the logger's line: the level's opening, the time, the bindings and the
// end of the line are the strings pino itself made for that logger (read through
// pino.symbols), the fields are serialized as pino serializes them, and the line
// goes to the logger's own destination. What pino does per line and this skips:
// a merging object walked key by key, its message run through the formatter, a
// diagnostics-channel check. test/log-line.test.ts compares the two byte for byte.
import { pino, type Bindings, type DestinationStream, type Level, type Logger } from 'pino';

const symbols = pino.symbols;

/** The pino internals read here, as pino keeps them on every logger. */
interface PinoInternals {
  [symbols.lsCacheSym]: Record<number, string>;
  [symbols.timeSym]: () => string;
  [symbols.chindingsSym]: string;
  [symbols.endSym]: string;
  [symbols.streamSym]: DestinationStream & { [symbols.needsMetadataGsym]?: boolean };
  [symbols.messageKeySym]: string;
  [symbols.mixinSym]: unknown;
  [symbols.hooksSym]: { streamWrite?: unknown };
  [symbols.formattersSym]: { log?: unknown };
}

const internals = (logger: Logger): PinoInternals => logger as unknown as PinoInternals;

/** Strings up to this long pino escapes itself, above it with JSON.stringify (tools.js, `asString`); so does this. */
const SHORT_STRING = 100;
/** From Node 25 on, pino escapes every string with JSON.stringify. */
const ALWAYS_STRINGIFY = Number(process.versions.node.split('.')[0]) >= 25;

/**
 * `value` as a JSON string, as pino writes a string field or message: a string with no character below U+0020, no
 * `"` and no `\` is written as it is, between quotes. Otherwise, as pino does: up to SHORT_STRING characters without
 * control characters, `"` and `\` are escaped; anything else goes through JSON.stringify (which also escapes a lone
 * surrogate, which the short way leaves for the UTF-8 encoder to replace).
 */
export function jsonString(value: string): string {
  if (value.length > SHORT_STRING || ALWAYS_STRINGIFY) return JSON.stringify(value);
  let escaped = '';
  let last = 0;
  for (let i = 0; i < value.length; i += 1) {
    const point = value.charCodeAt(i);
    if (point < 32) return JSON.stringify(value);
    if (point === 34 || point === 92) {
      escaped += `${value.slice(last, i)}\\`;
      last = i;
    }
  }
  return escaped === '' ? `"${value}"` : `"${escaped}${value.slice(last)}"`;
}

/** `fields` as pino writes a merging object's fields after the bindings: `,"key":value` each, in order, undefined left out. */
export function jsonFields<Fields extends { [Key in keyof Fields]: string | number | boolean | undefined }>(fields: Fields): string {
  let json = '';
  for (const key in fields) {
    const value: string | number | boolean | undefined = fields[key];
    if (value === undefined) continue;
    json += `,${jsonString(key)}:${typeof value === 'string' ? jsonString(value) : typeof value === 'number' && !Number.isFinite(value) ? 'null' : value}`;
  }
  return json;
}

/**
 * Writes lines of `logger` whose fields the caller serialized: `write(level, fields)` writes what
 * `logger[level](…)` would, given its fields as JSON (bindings() first, then jsonString, jsonFields…). The logger
 * is one createLogger made, or a child of it: a logger whose lines pino changes per line (a mixin, a `log`
 * formatter, a streamWrite hook) or whose destination wants each line's level (pino.multistream) is refused.
 */
export class LineWriter {
  private readonly stream: DestinationStream;
  /** What a line opens with at each level: `{"severity":"INFO"` (pino's own, made with the logger). */
  private readonly opening: Readonly<Record<string, string>>;
  private readonly time: () => string;
  private readonly end: string;
  /** `,"message":`, with the logger's message key, as pino writes it before the message. */
  readonly messageKey: string;

  constructor(private readonly logger: Logger) {
    const pinoLogger = internals(logger);
    const stream = pinoLogger[symbols.streamSym];
    if (pinoLogger[symbols.mixinSym] || pinoLogger[symbols.hooksSym].streamWrite || pinoLogger[symbols.formattersSym].log || stream[symbols.needsMetadataGsym]) {
      throw new Error('LineWriter writes the lines of a logger made by createLogger; this one has a mixin, log formatter, streamWrite hook or multistream');
    }
    this.stream = stream;
    const openings = pinoLogger[symbols.lsCacheSym];
    this.opening = Object.fromEntries(Object.entries(logger.levels.values).map(([label, value]) => [label, openings[value]!]));
    this.time = pinoLogger[symbols.timeSym];
    this.end = pinoLogger[symbols.endSym];
    this.messageKey = `,"${pinoLogger[symbols.messageKeySym]}":`;
  }

  /** The logger's bindings, then `bindings`: the start of `fields` for a line that a child with them would write. */
  bindings(bindings: Bindings): string {
    return internals(this.logger.child(bindings))[symbols.chindingsSym];
  }

  /**
   * Writes a line at `level` (the caller checked that it is enabled): its opening and time, then `fields`
   * (bindings, then `,"key":value`…, the message last), then the line's end.
   */
  write(level: Level, fields: string): void {
    this.stream.write(`${this.opening[level]}${this.time()}${fields}${this.end}`);
  }
}
