// The Dockerfile, parsed: a build stage and a runtime stage that holds production dependencies,
// dist/ and proto/ only, runs as a non-root user, and starts exactly as `npm start` does but with
// node as PID 1 (exec form), so SIGTERM reaches the drain.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import t from 'tap';
import { DEFAULT_PORT } from '../../src/config.js';
import { REPO_ROOT } from '../helpers/manifests.js';

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  files: string[];
  engines: { node: string };
};

interface Stage {
  readonly name: string | null;
  readonly image: string;
  readonly instructions: Instruction[];
}

/** The instructions of each FROM … stage, with the base image's ARG defaults substituted. */
function stages(): Stage[] {
  const args = Object.fromEntries(
    dockerfile.getInitialARGs().flatMap((arg) => arg.getProperties().map((p) => [p.getName(), p.getValue() ?? ''])),
  );
  const froms = dockerfile.getFROMs();
  return froms.map((from, index) => {
    const start = from.getRange().start.line;
    const end = froms[index + 1]?.getRange().start.line ?? Infinity;
    return {
      name: from.getBuildStage(),
      image: (from.getImage() ?? '').replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? ''),
      instructions: dockerfile.getInstructions().filter((i) => i.getRange().start.line > start && i.getRange().start.line < end),
    };
  });
}

function keyword(stage: Stage, name: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === name);
}

function copySources(copy: Copy): string[] {
  return copy.getArgumentsContent()!.split(/\s+/).slice(0, -1);
}

const all = stages();
const runtime = all.at(-1)!;

t.test('is multi-stage, every stage named, the last one the runtime', async (t) => {
  t.ok(all.length >= 2, `${all.length} stages`);
  t.same(all.filter((s) => s.name === null), [], 'every stage has an AS name');
  t.equal(runtime.name, 'runtime');
});

t.test('builds on a small Node image no older than package.json engines', async (t) => {
  const minimum = Number(/\d+/.exec(packageJson.engines.node)![0]);
  for (const stage of all) {
    const match = /^node:(\d+)-.*(slim|alpine)/.exec(stage.image);
    t.ok(match, `${stage.name}: ${stage.image} is a slim or alpine node image`);
    t.ok(Number(match?.[1]) >= minimum, `${stage.name}: Node ${match?.[1]} >= ${minimum}`);
  }
});

t.test('the runtime stage installs production dependencies only and builds nothing', async (t) => {
  const runs = keyword(runtime, 'RUN').map((r) => r.getArgumentsContent() ?? '');
  const installs = runs.filter((r) => /\bnpm ci\b/.test(r));
  t.equal(installs.length, 1, 'one npm ci');
  t.match(installs[0], /--omit=dev/, 'without devDependencies');
  t.match(installs[0], /--ignore-scripts/, 'without the prepare (build) script, which needs devDependencies');
  t.same(runs.filter((r) => /\b(tsc|npm run|npx)\b/.test(r)), [], 'no build step');
  const env = keyword(runtime, 'ENV').map((e) => e.getArgumentsContent());
  t.ok(env.includes('NODE_ENV=production'), 'NODE_ENV=production');
});

t.test('the runtime stage copies exactly the package manifest and the published files', async (t) => {
  const copies = keyword(runtime, 'COPY') as Copy[];
  const fromContext = copies.filter((c) => c.getFromFlag() === null).flatMap(copySources);
  t.same(fromContext.sort(), ['package-lock.json', 'package.json'], 'only the package manifest from the build context');
  const fromBuild = copies.filter((c) => c.getFromFlag() !== null);
  const buildStages = all.slice(0, -1).map((s) => s.name);
  for (const copy of fromBuild) t.ok(buildStages.includes(copy.getFromFlag()!.getValue()), 'copies from an earlier stage');
  const built = fromBuild.flatMap(copySources).map((source) => source.replace(/^\/app\//, ''));
  // What npm pack ships, less its exclusions (source maps: the image keeps them, for its stack traces).
  const published = packageJson.files.filter((file: string) => !file.startsWith('!'));
  t.same(built.sort(), published.sort(), 'package.json "files" (what npm pack ships) from the build stage');
});

t.test('the runtime stage runs as a numeric non-root user', async (t) => {
  const users = keyword(runtime, 'USER');
  t.equal(users.length, 1);
  const user = users[0]!.getArgumentsContent() ?? '';
  t.match(user, /^\d+(:\d+)?$/, 'numeric, so Kubernetes runAsNonRoot can verify it');
  t.not(Number(user.split(':')[0]), 0, 'not root');
});

t.test('starts like `npm start`, in exec form, on the default PORT', async (t) => {
  t.same(keyword(runtime, 'ENTRYPOINT'), [], 'no ENTRYPOINT: CMD alone, which the load Job can replace');
  const cmds = keyword(runtime, 'CMD') as JSONInstruction[];
  t.equal(cmds.length, 1);
  const argv = cmds[0]!.getJSONStrings().map((s) => s.getJSONValue());
  t.ok(argv.length > 0, 'exec (JSON) form: node is PID 1 and receives SIGTERM');
  t.same(argv, packageJson.scripts.start!.split(' '), `equals the start script: ${packageJson.scripts.start}`);
  t.ok(keyword(runtime, 'ENV').some((e) => e.getArgumentsContent() === `PORT=${DEFAULT_PORT}`), `ENV PORT=${DEFAULT_PORT}`);
  t.same(keyword(runtime, 'EXPOSE').map((e) => e.getArgumentsContent()), [String(DEFAULT_PORT)], `EXPOSE ${DEFAULT_PORT}`);
});

t.test('.dockerignore admits exactly what the Dockerfile copies from the build context', async (t) => {
  const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  t.equal(lines[0], '*', 'starts by excluding everything (node_modules, dist, .git, secrets)');
  const admitted = lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));
  const copied = all.flatMap((stage) =>
    (keyword(stage, 'COPY') as Copy[]).filter((c) => c.getFromFlag() === null).flatMap(copySources),
  );
  t.same([...new Set(copied)].sort(), admitted.sort());
});
