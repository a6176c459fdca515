// Runs the load command in this process with captured output, as tests need it.
import { Writable } from 'node:stream';
import { loadCommand } from '../../src/cli/load.js';
import type { LoadReport } from '../../src/load/report.js';

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export async function runCommand(args: readonly string[], { tty = false, env = {} }: { tty?: boolean; env?: Record<string, string> } = {}): Promise<CommandRun> {
  const stdout = new Capture();
  const stderr = new Capture(tty);
  const code = await loadCommand.run(args, { stdin: process.stdin, stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs with --json against `address` (plaintext) and returns the exit code and the parsed report. */
export async function runJson(address: string, args: readonly string[]): Promise<{ code: number; report: LoadReport; stderr: string }> {
  const run = await runCommand([address, '--insecure', '--json', ...args]);
  return { code: run.code, report: JSON.parse(run.stdout) as LoadReport, stderr: run.stderr };
}
