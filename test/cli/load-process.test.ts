// `cloudrun-grpc load` as its own process: Ctrl-C and exit codes, as a CI job or a person sees them.
import { spawn, spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { eventually, startServer, type LogLine } from '../helpers/server.js';
import type { LoadReport } from '../../src/load/report.js';
import { TS_NODE_ARGS } from '../helpers/process.js';

const CLI = 'src/cli.ts';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startLoad(t: Test, args: string[]): { exited: Promise<Exit>; interrupt(): void } {
  const child = spawn(process.execPath, [...TS_NODE_ARGS, CLI, 'load', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { exited, interrupt: () => void child.kill('SIGINT') };
}

const unaryCalls = (logs: LogLine[]): number => logs.filter((l) => l.method === '/helloworld.Greeter/SayHello').length;

t.test('Ctrl-C (SIGINT) stops the run and prints the partial report, exit code 130', async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  const load = startLoad(t, [address, '--insecure', '--duration', '60s', '-c', '4', '--connections', '2']);
  await eventually(() => unaryCalls(logs) >= 50, 30_000, 'calls to arrive');
  load.interrupt();
  const { code, stdout } = await load.exited;
  t.equal(code, 130);
  t.match(stdout, /Ended: +INTERRUPTED \(partial report\)/);
  t.match(stdout, /Calls: +[1-9]\d*,/);
});

t.test('a tripped --fail-on-error-rate gate exits non-zero', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent', STREAMING: 'off' });
  const { code, stdout } = await startLoad(t, [address, '--insecure', '--json', '--shape', 'server', '--total', '5', '--fail-on-error-rate', '0.1']).exited;
  t.equal(code, 1);
  t.match(JSON.parse(stdout), { statusCodeDistribution: { UNIMPLEMENTED: 5 }, gates: [{ gate: 'error-rate', passed: false }] });
});

t.test('a usage error exits 2 and names the flag', async (t) => {
  const { code, stderr } = await startLoad(t, ['127.0.0.1:1', '--total', 'many']).exited;
  t.equal(code, 2);
  t.match(stderr, /--total: "many" is not a whole number/);
});

t.test('stdout closed by its reader (| head): the run ends quietly, no EPIPE', async (t) => {
  const { address } = await startServer(t, { LOG_LEVEL: 'silent' });
  const child = spawn(process.execPath, [...TS_NODE_ARGS, CLI, 'load', address, '--insecure', '--total', '200', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  child.stdout.destroy(); // the reader goes away before the report is written
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  t.notMatch(stderr, /EPIPE|Error/);
});

const tasksetMissing = spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? false : 'needs taskset and CPU 0';

t.test('a generator sharing its CPU with busy loops says it was the bottleneck', { skip: tasksetMissing }, async (t) => {
  const { address, logs } = await startServer(t, { LOG_LEVEL: 'info' });
  // The generator on CPU 0; once its calls flow, it drops to the lowest priority and two busy loops take CPU 0
  // from it for 5 s (bounded, and killed when the test ends).
  const child = spawn('taskset', ['-c', '0', process.execPath, ...TS_NODE_ARGS, CLI, 'load', address, '--insecure', '--duration', '4s', '-c', '16', '--connections', '2', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await eventually(() => unaryCalls(logs) > 0, 60_000, 'the first call');
  spawnSync('renice', ['-n', '19', '-p', String(child.pid)]);
  for (let i = 0; i < 2; i++) {
    const busy = spawn('taskset', ['-c', '0', process.execPath, '-e', 'const end = Date.now() + 5000; while (Date.now() < end);'], { stdio: 'ignore' });
    t.teardown(() => void busy.kill('SIGKILL'));
  }
  t.equal(await closed, 0);
  const report = JSON.parse(stdout) as LoadReport;
  t.equal(report.generator.saturated, true, `threads: ${JSON.stringify(report.generator.threads)}`);
});
