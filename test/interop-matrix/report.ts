// The matrix's result as a table of client × path × check, written into docs/interop.md between two
// markers, with the commit it ran at, so the doc says what the last run saw.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/process.js';

const run = promisify(execFile);
const BEGIN = '<!-- interop-matrix:begin (written by npm run test:interop-matrix) -->';
const END = '<!-- interop-matrix:end -->';

export interface Outcome {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Cell {
  readonly client: string;
  readonly path: string;
  readonly check: string;
  readonly outcome: Outcome;
  /** Why this cell is expected to fail, when it is. */
  readonly expected?: string;
  /** The same check with grpc-go's server on the same path, run where the check failed. */
  readonly reference?: Outcome;
}

async function commit(): Promise<string> {
  const [{ stdout: hash }, { stdout: changes }] = await Promise.all([
    run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }),
    // The table's own file does not count: each run rewrites it.
    run('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/interop.md'], { cwd: ROOT }),
  ]);
  return `\`${hash.trim()}\`${changes.trim() ? ' with uncommitted changes' : ''}`;
}

/** An expected failure counts as one only while grpc-go's server on the same path fails it too. */
const failsAsExpected = (cell: Cell): boolean => !cell.outcome.ok && cell.expected !== undefined && cell.reference?.ok === false;

function mark(cell: Cell): string {
  if (cell.outcome.ok) return cell.expected === undefined ? 'pass' : '**pass (expected to fail)**';
  return failsAsExpected(cell) ? 'expected failure' : '**FAIL**';
}

function note(cell: Cell): string {
  const where = `${cell.client} → ${cell.path}, ${cell.check}`;
  const reference = cell.reference && ` With grpc-go's server on the same path: ${cell.reference.ok ? 'passes' : `fails too (${cell.reference.detail})`}.`;
  if (cell.expected !== undefined) return `- ${where}: ${cell.outcome.ok ? 'passed, though listed as an expected failure' : 'expected failure'}: ${cell.expected} Seen: ${cell.outcome.detail}.${reference ?? ''}`;
  return `- ${where}: ${cell.outcome.detail}.${reference ?? ''}`;
}

export async function writeReport(cells: readonly Cell[], checks: readonly string[], serverNode: string, about: string): Promise<void> {
  const rows = new Map<string, Cell[]>();
  for (const cell of cells) rows.set(`${cell.client} | ${cell.path}`, [...(rows.get(`${cell.client} | ${cell.path}`) ?? []), cell]);
  const table = [
    `| client | path | ${checks.join(' | ')} |`,
    `| --- | --- | ${checks.map(() => '---').join(' | ')} |`,
    ...[...rows].map(([row, cellsOfRow]) => `| ${row} | ${checks.map((check) => { const cell = cellsOfRow.find((c) => c.check === check); return cell ? mark(cell) : 'not run'; }).join(' | ')} |`),
  ];
  const failed = cells.filter((cell) => !cell.outcome.ok && !failsAsExpected(cell));
  const expected = cells.filter((cell) => cell.expected !== undefined);
  const generated = [
    BEGIN,
    `Last run at ${await commit()} on ${new Date().toISOString().slice(0, 10)}, the server on Node ${serverNode} (the image's), the grpc-js client on Node ${process.version}: ${about}`,
    '',
    ...table,
    '',
    failed.length === 0 ? 'No check failed.' : `Failed (${failed.length}):`,
    '',
    ...failed.map(note),
    ...(expected.length === 0 ? [] : ['', `Expected failures (${expected.length}), each because of the client or the proxy, not the server:`, '', ...expected.map(note)]),
    END,
  ].join('\n');
  const file = join(ROOT, 'docs/interop.md');
  const doc = await readFile(file, 'utf8');
  const [begin, end] = [doc.indexOf(BEGIN), doc.indexOf(END)];
  if (begin < 0 || end < begin) throw new Error(`docs/interop.md has no place for the matrix (the markers ${BEGIN} … ${END})`);
  await writeFile(file, doc.slice(0, begin) + generated + doc.slice(end + END.length));
}
