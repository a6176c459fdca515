// npm run bench:instructions [-- --calls 1000,4000] [-- --baseline]: what one unary SayHello costs the
// server in CPU instructions, counted by valgrind's callgrind rather than timed, so the figure holds on a
// busy machine. For each configuration the shipped server (dist/main.js; `npm run build` first) runs under
// callgrind, counting from the moment it listens, serves a fixed number of calls from h2load (2 connections
// × 10 streams), then drains; the difference between two call counts, divided by the calls between them, is
// the cost of a call, connections and drain cancelled out. Configurations: the defaults (metrics off),
// METRICS_PORT set (metrics on, nothing scraping), and with --baseline the bare grpc-js Greeter.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { helloworld } from '../src/proto.js';
import { frameMessage } from '../src/load/wire/framing.js';
import { compileBaseline, freePort, portOpen, RESULTS, ROOT, sleep, writeResults } from './servers.js';

interface Configuration {
  readonly name: string;
  /** node's arguments, given the port to serve on. */
  readonly args: (port: number) => readonly string[];
  readonly env: Record<string, string>;
}

const callsArg = process.argv.indexOf('--calls');
const CALL_COUNTS = (callsArg > 0 ? process.argv[callsArg + 1]! : '1000,4000').split(',').map(Number);
/** valgrind loads the server slowly, the more so on a busy machine. */
const START_TIMEOUT_MS = 900_000;

function configurations(): Configuration[] {
  const project = (name: string, env: Record<string, string>): Configuration => ({
    name,
    args: () => ['dist/main.js'],
    env: { LOG_LEVEL: 'info', ...env },
  });
  const list = [project('project, metrics off (default)', {}), project('project, metrics on', { METRICS_PORT: '0' })];
  if (process.argv.includes('--baseline')) {
    const baseline = compileBaseline(`${RESULTS}baseline/`);
    list.unshift({ name: 'bare grpc-js', args: (port) => [baseline, String(port)], env: {} });
  }
  return list;
}

/** Instructions the server executed from start to exit, having served `calls` unary calls. */
async function instructions(configuration: Configuration, calls: number, body: string): Promise<number> {
  const port = await freePort();
  const child = spawn(
    'valgrind',
    // Counting starts once the server listens: start-up, the same in every configuration, is left out.
    ['--tool=callgrind', '--instr-atstart=no', '--callgrind-out-file=/dev/null', process.execPath, ...configuration.args(port)],
    {
      cwd: ROOT,
      // Keepalive off: under valgrind the server may take longer than its ping timeout to read a PING's ack.
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', KEEPALIVE_TIME_MS: '0', ...configuration.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const giveUpAt = performance.now() + START_TIMEOUT_MS;
    while (!(await portOpen(port))) {
      if (performance.now() > giveUpAt || child.exitCode !== null) throw new Error(`${configuration.name} did not listen under valgrind: ${stderr.slice(-500)}`);
      await sleep(200);
    }
    // valgrind names its control pipe after HOST, which the server's environment sets.
    const on = spawnSync('callgrind_control', ['--instr=on', String(child.pid)], { env: { ...process.env, HOST: '127.0.0.1' }, encoding: 'utf8' });
    if (on.status !== 0 || /error/i.test(on.stdout + on.stderr)) throw new Error(`callgrind_control: ${on.stdout}${on.stderr}`);
    serve(port, calls, body);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr)?.[1];
  if (refs === undefined) throw new Error(`no instruction count from callgrind: ${stderr.slice(-500)}`);
  return Number(refs.replace(/,/g, ''));
}

/** h2load's `calls` unary SayHello calls to the server on `port`; throws unless every one succeeded. */
function serve(port: number, calls: number, body: string): void {
  const h2load = spawnSync(
    'h2load',
    ['-n', String(calls), '-c', '2', '-m', '10', '-d', body, '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://127.0.0.1:${port}/helloworld.Greeter/SayHello`],
    { encoding: 'utf8' },
  );
  const succeeded = /(\d+) succeeded/.exec(h2load.stdout)?.[1];
  if (Number(succeeded) !== calls) throw new Error(`h2load: ${succeeded ?? 'no'} of ${calls} calls succeeded: ${h2load.stdout}${h2load.stderr}`);
}

mkdirSync(RESULTS, { recursive: true });
const body = `${RESULTS}instructions-request.bin`;
writeFileSync(body, frameMessage(helloworld.Greeter.service.SayHello.requestSerialize({ name: 'world' }), false));
const results: { name: string; instructions: Record<number, number>; perCall: number }[] = [];
for (const configuration of configurations()) {
  const counts: Record<number, number> = {};
  for (const calls of CALL_COUNTS) {
    counts[calls] = await instructions(configuration, calls, body);
    console.log(`${configuration.name}: ${calls} calls, ${counts[calls]!.toLocaleString('en')} instructions`);
  }
  const [few, many] = [Math.min(...CALL_COUNTS), Math.max(...CALL_COUNTS)];
  const perCall = Math.round((counts[many]! - counts[few]!) / (many - few));
  results.push({ name: configuration.name, instructions: counts, perCall });
}
console.log('\ninstructions per unary call (difference between call counts):');
for (const { name, perCall } of results) console.log(`  ${name.padEnd(34)} ${perCall.toLocaleString('en')} (${(perCall / results[0]!.perCall).toFixed(3)}× the first)`);
console.log(`\n${writeResults('instructions', results)}`);
