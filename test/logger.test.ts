// The logger's lines: Cloud Logging's shape (severity, message, time), with its time formatted the cheap way.
import { Writable } from 'node:stream';
import t from 'tap';
import { isoTime } from '../src/log-time.js';
import { createLogger } from '../src/logger.js';

t.test('a line is one JSON object with severity, message and time, and no pino level or base fields', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger('info', sink);
  logger.warn({ port: 8080 }, 'listening');
  logger.debug('below the level');
  t.equal(lines.length, 1, 'one line, the debug one dropped');
  t.match(lines[0], /\n$/);
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
  t.same(Object.keys(line).sort(), ['message', 'port', 'severity', 'time']);
  t.equal(line.severity, 'WARNING');
  t.equal(line.message, 'listening');
  t.equal(new Date(line.time as string).toISOString(), line.time);
});

t.test('isoTime writes what Date#toISOString does, formatting each second once and each millisecond once', async (t) => {
  const instants = [0, 7, 7, 42, 999, 1000, 1_764_108_323_380, 1_764_108_323_380, 1_764_108_323_005, 1_764_108_324_000, 1_764_108_323_999, 0, Date.now()];
  for (const now of instants) t.equal(isoTime(now), `,"time":"${new Date(now).toISOString()}"`, String(now));
});
