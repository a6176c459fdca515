// Flag parsing and usage errors, run in this process (no server involved).
import t from 'tap';
import { COMMANDS } from '../../src/cli.js';
import { bidiCommand } from '../../src/cli/bidi.js';
import { replyPrinter } from '../../src/cli/call.js';
import { greetingsCommand } from '../../src/cli/greetings.js';
import { healthCommand } from '../../src/cli/health.js';
import { helloCommand } from '../../src/cli/hello.js';
import { repliesCommand } from '../../src/cli/replies.js';
import { serveCommand } from '../../src/cli/serve.js';
import { memoryIo } from '../helpers/cli.js';

t.test('each command turns bad arguments into usage errors', async (t) => {
  const cases: [typeof helloCommand, string[], RegExp][] = [
    [helloCommand, [], /missing TARGET/],
    [helloCommand, ['--insecure', 'host:1', 'Ada', 'extra'], /unexpected argument "extra"/],
    [helloCommand, ['--nope', 'host:1'], /unknown flag --nope/],
    [helloCommand, ['--deadline', 'soon', 'host:1'], /--deadline: "soon" is not a duration/],
    [helloCommand, ['--metadata', 'bad key=x', '--insecure', 'host:1'], /cannot send metadata "bad key"/],
    [helloCommand, ['--ca-file', '/nonexistent/ca.pem', 'host'], /cannot read the CA file/],
    [repliesCommand, ['--count', 'many', 'host:1'], /--count "many" is not a whole number/],
    [repliesCommand, ['--interval-ms=-5', 'host:1'], /--interval-ms "-5" is not a whole number/],
    [repliesCommand, ['--count=0', 'host:1'], /--count must be at least 1/],
    [helloCommand, ['--insecure', 'localhost:99999'], /"localhost:99999": port 99999 is not a TCP port \(1 to 65535\)/],
    [repliesCommand, ['host:1', 'Ada', 'extra'], /unexpected argument/],
    [greetingsCommand, [], /missing TARGET/],
    [bidiCommand, ['host:1', 'extra'], /unexpected argument/],
    [healthCommand, ['host:1', 'extra'], /unexpected argument/],
    [serveCommand, ['extra'], /unexpected argument/],
    [serveCommand, ['--port', '1'], /unknown flag --port/],
  ];
  for (const [command, argv, message] of cases) {
    await t.rejects(command.run(argv, memoryIo().io), { name: 'UsageError', message }, `${command.name} ${argv.join(' ')}`);
  }
});

t.test('--json shows a non-empty payload as base64', async (t) => {
  const { io, output } = memoryIo();
  replyPrinter(io, true)({ message: 'Hello, Ada!', sequence: 1, payload: Buffer.from([0, 1, 2]) });
  t.same(JSON.parse(output.stdout), { message: 'Hello, Ada!', sequence: 1, payload: 'AAEC' });
});

t.test('every command has a name, a summary and usage naming it', async (t) => {
  for (const command of [helloCommand, repliesCommand, greetingsCommand, bidiCommand, healthCommand, serveCommand]) {
    t.match(command.usage, `Usage: cloudrun-grpc ${command.name}`);
    t.ok(command.summary.length > 0 && !command.summary.includes('\n'));
  }
});

t.test("each command's --help lists exactly the flags its parser takes", async (t) => {
  const checked = COMMANDS.filter((command) => command.flags !== undefined);
  t.ok(checked.length >= 8, `${checked.map((c) => c.name).join(', ')} declare their flags`);
  for (const { name, usage, flags = {} } of checked) {
    for (const [flag, { short }] of Object.entries(flags)) {
      t.match(usage, new RegExp(`^\\s+(-${short ?? '\\w'}, )?--${flag}\\b`, 'm'), `${name} --help shows --${flag}${short === undefined ? '' : ` and -${short}`}`);
    }
    for (const [, flag] of usage.matchAll(/^\s+(?:-\w, )?--([a-z][a-z0-9-]*)/gm)) {
      if (flag !== 'help') t.ok(Object.hasOwn(flags, flag as string), `${name} takes the --${flag} its help shows`);
    }
  }
});
