// Flag parsing and usage errors, run in this process (no server involved).
import t from 'tap';
import { bidiCommand } from '../../src/cli/bidi.js';
import { replyPrinter } from '../../src/cli/call.js';
import { connectOptionsFromFlags, UsageError } from '../../src/cli/command.js';
import { greetingsCommand } from '../../src/cli/greetings.js';
import { healthCommand } from '../../src/cli/health.js';
import { helloCommand } from '../../src/cli/hello.js';
import { repliesCommand } from '../../src/cli/replies.js';
import { serveCommand } from '../../src/cli/serve.js';
import { memoryIo } from '../helpers/cli.js';

t.test('connection flags become ConnectOptions', async (t) => {
  t.same(connectOptionsFromFlags({}), { insecure: false });
  t.same(
    connectOptionsFromFlags({
      insecure: true,
      authority: 'hello.default.example.com',
      'ca-file': 'ca.pem',
      audience: 'https://hello.a.run.app',
      metadata: ['x-team=blue', 'X-Note=a=b'],
      gzip: true,
      deadline: '1.5s',
    }),
    {
      insecure: true,
      authority: 'hello.default.example.com',
      caFile: 'ca.pem',
      auth: { kind: 'id-token', audience: 'https://hello.a.run.app' },
      metadata: [
        ['x-team', 'blue'],
        ['x-note', 'a=b'],
      ],
      gzip: true,
      deadlineMs: 1500,
    },
  );
});

t.test('--id-token mints for the default audience; --token and CLOUDRUN_GRPC_TOKEN send a static token', async (t) => {
  t.same(connectOptionsFromFlags({ 'id-token': true }).auth, { kind: 'id-token' });
  t.same(connectOptionsFromFlags({ token: 'abc' }).auth, { kind: 'static', token: 'abc' });
  t.same(connectOptionsFromFlags({}, { CLOUDRUN_GRPC_TOKEN: 'from-env' }).auth, { kind: 'static', token: 'from-env' });
  t.same(connectOptionsFromFlags({ token: 'flag' }, { CLOUDRUN_GRPC_TOKEN: 'env' }).auth, { kind: 'static', token: 'flag' });
  t.same(connectOptionsFromFlags({ 'id-token': true }, { CLOUDRUN_GRPC_TOKEN: 'env' }).auth, { kind: 'id-token' });
});

t.test('--deadline takes ms, s, m and h, and needs the unit', async (t) => {
  const ms = (deadline: string) => connectOptionsFromFlags({ deadline }).deadlineMs;
  t.equal(ms('250ms'), 250);
  t.equal(ms('30s'), 30_000);
  t.equal(ms('2m'), 120_000);
  t.equal(ms('1h'), 3_600_000);
  for (const bad of ['30', '0', '0s', '-1s', 'soon', '5d', '']) {
    t.throws(() => ms(bad), UsageError, bad);
  }
});

t.test('bad connection flags are usage errors that say what is wrong', async (t) => {
  t.throws(() => connectOptionsFromFlags({ token: 'a', 'id-token': true }), { name: 'UsageError', message: /two ways to authenticate/ });
  t.throws(() => connectOptionsFromFlags({ token: 'a', audience: 'https://x' }), { message: /two ways to authenticate/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['novalue'] }), { message: /--metadata "novalue" is not KEY=VALUE/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['=x'] }), { message: /is not KEY=VALUE/ });
  t.throws(() => connectOptionsFromFlags({ metadata: ['Authorization=Bearer x'] }), { message: /use --token or --id-token/ });
});

t.test('each command turns bad arguments into usage errors', async (t) => {
  const cases: [typeof helloCommand, string[], RegExp][] = [
    [helloCommand, [], /missing TARGET/],
    [helloCommand, ['--insecure', 'host:1', 'Ada', 'extra'], /unexpected argument "extra"/],
    [helloCommand, ['--nope', 'host:1'], /Unknown option '--nope'/],
    [helloCommand, ['--deadline', 'soon', 'host:1'], /--deadline: "soon" is not a duration/],
    [helloCommand, ['--metadata', 'bad key=x', '--insecure', 'host:1'], /cannot send metadata "bad key"/],
    [helloCommand, ['--ca-file', '/nonexistent/ca.pem', 'host'], /cannot read the CA file/],
    [repliesCommand, ['--count', 'many', 'host:1'], /--count "many" is not a whole number/],
    [repliesCommand, ['--interval-ms=-5', 'host:1'], /--interval-ms "-5" is not a whole number/],
    [repliesCommand, ['host:1', 'Ada', 'extra'], /unexpected argument/],
    [greetingsCommand, [], /missing TARGET/],
    [bidiCommand, ['host:1', 'extra'], /unexpected argument/],
    [healthCommand, ['host:1', 'extra'], /unexpected argument/],
    [serveCommand, ['extra'], /unexpected argument/],
    [serveCommand, ['--port', '1'], /Unknown option '--port'/],
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
