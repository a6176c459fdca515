// The README, CONTRIBUTING.md and docs/ against the code: every `cloudrun-grpc`
// command and flag they show exists, every `npm run` script exists, every
// variable src/config.ts reads is in the configuration table, every relative
// link and anchor resolves, and the shell commands that need nothing but a
// local server run, in this process, against a real one and exit 0.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { COMMANDS, main } from '../src/cli.js';
import { memoryIo } from './helpers/cli.js';
import { ROOT } from './helpers/process.js';
import { startServer } from './helpers/server.js';
import { temporaryDirectory } from './helpers/temp-dir.js';

const DOCS = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);
/** Documented ahead of the change that brings them: `npm run test:image` and its page, docs/image-test.md. */

/** The fenced blocks of a Markdown file whose language is one of `languages`. */
function fences(markdown: string, languages: readonly string[]): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => languages.includes(m[1] as string)).map((m) => m[2] as string);
}

/** Shell lines of a block, continuation lines joined. */
function shellLines(block: string): string[] {
  return block.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => line.trim() !== '');
}

/** Splits a shell line into words and operators (|, &&, ;, >, &), honouring quotes; drops # comments. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      word = (word ?? '') + line.slice(i + 1, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('|&;>'.includes(c) && word === undefined) {
      const op = line.slice(i, i + 2) === '&&' || line.slice(i, i + 2) === '||' ? line.slice(i, i + 2) : c;
      words.push(op);
      i += op.length - 1;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

interface Invocation {
  readonly file: string;
  readonly line: string;
  /** The arguments after `cloudrun-grpc` (command first). */
  readonly argv: string[];
  /** What a `printf '…' |` before it feeds to stdin. */
  readonly stdin: string;
}

/** The cloudrun-grpc invocations in a shell line: as the bin, `node dist/cli.js`, `npx tsx src/cli.ts`, or `npm run interop --`. */
function invocations(file: string, line: string): Invocation[] {
  const found: Invocation[] = [];
  let stdin = '';
  let segment: string[] = [];
  const flush = (): void => {
    const words = segment.filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w) || segment.indexOf(w) > 0);
    const start = words.findIndex((w, i) => w === 'cloudrun-grpc' || (w === 'dist/cli.js' && words[i - 1] === 'node') || (w === 'src/cli.ts' && words[i - 1] === 'tsx'));
    if (start !== -1) found.push({ file, line, argv: words.slice(start + 1), stdin });
    if (words[0] === 'npm' && words[1] === 'run' && words[2] === 'interop') found.push({ file, line, argv: ['interop', ...words.slice(4)], stdin });
    stdin = words[0] === 'printf' ? (words[1] ?? '').replace(/\\n/g, '\n') : '';
    segment = [];
  };
  const words = shellWords(line);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word === '>') i += 1; // a redirect and its file
    else if (['|', '&&', '||', ';', '&'].includes(word)) flush();
    else segment.push(word);
  }
  flush();
  return found;
}

const shellBlocks = DOCS.flatMap((file) => fences(text(file), ['sh', 'bash']).flatMap((block) => shellLines(block).map((line) => ({ file, line }))));
/** A container's `args: [load, …]` in a YAML example, as cloudrun-grpc arguments. */
const yamlArgs = DOCS.flatMap((file) =>
  fences(text(file), ['yaml']).flatMap((block) =>
    [...block.replace(/\n\s+/g, ' ').matchAll(/args: \[([^\]]*)\]/g)].map((m) => ({
      file,
      line: m[0],
      argv: (m[1] as string).split(',').map((arg) => arg.trim().replace(/^"|"$/g, '')),
      stdin: '',
    })),
  ),
);
const calls = [...shellBlocks.flatMap(({ file, line }) => invocations(file, line)), ...yamlArgs];
/** The usage of `name`, or of its subcommand `args[0]` (`load merge`) when it has one. */
function usageOf(name: string, args: readonly string[] = []): string | undefined {
  const command = COMMANDS.find((c) => c.name === name);
  return command?.subcommands?.find((s) => s.name === args[0])?.usage ?? command?.usage;
}
const hasFlag = (usage: string, flag: string): boolean => new RegExp(`(^|[\\s,])${flag}(?=[\\s=,[]|$)`, 'm').test(usage);

t.test('every cloudrun-grpc command in the docs exists and takes the flags shown', async (t) => {
  t.ok(calls.length > 20, `found ${calls.length} invocations`);
  for (const { file, line, argv } of calls) {
    const [name, ...args] = argv;
    if (name === '--help') continue;
    const usage = usageOf(name as string, args);
    if (usage === undefined) {
      t.fail(`${file}: unknown command "${name}" in: ${line}`);
      continue;
    }
    const end = args.indexOf('--');
    for (const arg of end === -1 ? args : args.slice(0, end)) {
      if (!/^-./.test(arg) || arg === '--help' || arg === '-h') continue; // a lone - is stdin, not a flag
      const flag = arg.split('=')[0] as string;
      t.ok(hasFlag(usage, flag), `${file}: cloudrun-grpc ${name} takes ${flag} (${line.trim()})`);
    }
  }
});

t.test('the flag tables list only flags the commands take, and every flag they take', async (t) => {
  const tables: Record<string, string[]> = { 'docs/client.md': ['hello', 'replies', 'greetings', 'bidi', 'health', 'call', 'list', 'describe'], 'docs/load-testing.md': ['load', 'load merge', 'load compare'], 'docs/interop.md': ['interop'] };
  for (const [file, commands] of Object.entries(tables)) {
    const markdown = text(file);
    const rows = markdown.split('\n').filter((row) => /^\| `-/.test(row));
    // --help and -h are the dispatcher's, for every command.
    const documented = rows
      .flatMap((row) => [...(row.split('|')[1] as string).matchAll(/(--?[a-zA-Z][a-zA-Z0-9_-]*)/g)].map((m) => m[1] as string))
      .filter((flag) => flag !== '--help' && flag !== '-h');
    t.ok(documented.length > 5, `${file} has a flag table`);
    const usages = commands.map((name) => usageOf(name.split(' ')[0] as string, name.split(' ').slice(1)) as string);
    for (const flag of documented) t.ok(usages.some((usage) => hasFlag(usage, flag)), `${file}: ${flag} is a flag of ${commands.join('/')}`);
    for (const usage of usages) {
      for (const [, flag] of usage.matchAll(/^\s+(?:-\w, )?(--[a-z][a-zA-Z0-9_-]*)/gm)) {
        t.ok(markdown.includes(`\`${flag}`), `${file} documents ${flag}`);
      }
    }
  }
});

t.test('every `npm run` script the docs mention exists', async (t) => {
  for (const file of DOCS) {
    for (const [, script] of text(file).matchAll(/npm run ([a-z][\w:-]*)/g)) {
      t.ok(scripts.includes(script as string), `${file}: npm run ${script}`);
    }
  }
});

t.test("every variable src/config.ts reads has a row in the README's configuration table", async (t) => {
  const readme = text('README.md');
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const variables = new Set([...text('src/config.ts').matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|PORT|HOST|WORKERS|INTEROP|STREAMING)'/g)].map((m) => m[1] as string));
  t.ok(variables.size > 20, `src/config.ts reads ${variables.size} variables`);
  for (const variable of variables) t.match(table, `\`${variable}\``, variable);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1] as string));
  const ids = [...markdown.matchAll(/<a id="([^"]+)">/g)].map((m) => m[1] as string);
  return new Set([...headings, ...ids]);
}

t.test('every relative link and anchor in the docs resolves', async (t) => {
  for (const file of DOCS) {
    const markdown = text(file).replace(/^```[\s\S]*?^```$/gm, '');
    for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target as string)) continue;
      const [linked, anchor] = (target as string).split('#');
      const resolved = linked === '' ? file : path.join(path.dirname(file), linked as string);
      if (!t.ok(existsSync(path.join(ROOT, resolved)), `${file}: ${target} exists`)) continue;
      if (anchor !== undefined) t.ok(anchors(text(resolved)).has(anchor), `${file}: #${anchor} is a heading of ${resolved}`);
    }
  }
});

t.test("the docs' commands against a local server run and exit 0", async (t) => {
  const server = await startServer(t, { INTEROP: 'on' });
  const port = String(server.port);
  // What can run here: a local target or --help. Not the load runs timed by --duration (their flags are
  // checked above), and not `--test_case all`, which the docs say exits 1 against this server.
  const runnable = calls.filter(({ argv }) =>
    (argv.includes('localhost:8080') || argv.includes('--help') || (argv[0] === 'interop' && argv.includes('8080')))
    && !argv.includes('--duration') && !argv.includes('all') && argv[0] !== 'serve');
  t.ok(runnable.length >= 10, `${runnable.length} commands to run`);
  const outputs = temporaryDirectory(t, 'docs-output-');
  for (const { file, line, argv, stdin } of runnable) {
    const args = argv.map((arg, i) =>
      arg === 'localhost:8080' ? server.address
      : arg === '8080' ? port
      : arg === 'localhost' ? '127.0.0.1'
      : ['-o', '--output'].includes(argv[i - 1] as string) ? path.join(outputs, path.basename(arg)) // files the docs write go to a scratch directory
      : arg);
    const { io, output } = memoryIo(stdin);
    const started = performance.now();
    const code = await main(args, io);
    t.comment(`${Math.round(performance.now() - started)} ms: ${args.join(' ')}`);
    t.equal(code, 0, `${file}: ${line.trim()}${code === 0 ? '' : `\n${output.stderr}`}`);
  }
});
