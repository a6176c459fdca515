// Mistakes in flags, in every command: the CLI's own message and exit 2, never node:util parseArgs's text.
import t from 'tap';
import { COMMANDS, main } from '../../src/cli.js';
import { memoryIo } from '../helpers/cli.js';

const NODE_TEXT = /Unknown option|To specify a positional|ambiguous|ERR_PARSE_ARGS/;

async function cli(argv: string[]) {
  const { io, output } = memoryIo();
  const code = await main(argv, io);
  return { code, ...output };
}

const commandLines = COMMANDS.flatMap((command) => [[command.name], ...(command.subcommands ?? []).map((sub) => [command.name, sub.name])]);

for (const words of commandLines) {
  t.test(`${words.join(' ')}: an unknown flag is named, with exit 2`, async (t) => {
    const { code, stderr } = await cli([...words, '--bogus', 'x']);
    t.equal(code, 2);
    t.match(stderr, /unknown flag --bogus/);
    t.notMatch(stderr, NODE_TEXT);
  });
}

t.test('a flag one typo away is suggested', async (t) => {
  const { code, stderr } = await cli(['load', '127.0.0.1:1', '--concurency', '4', '-n', '1']);
  t.equal(code, 2);
  t.match(stderr, /cloudrun-grpc load: unknown flag --concurency \(did you mean --concurrency\?\)/);
});

t.test('a value starting with a dash is the flag\'s value, judged by the command (--count -1)', async (t) => {
  const { code, stderr } = await cli(['replies', '--count', '-1', '127.0.0.1:1']);
  t.equal(code, 2);
  t.match(stderr, /--count "-1" is not a whole number/);
  t.notMatch(stderr, NODE_TEXT);
});

t.test('a flag whose value is missing says so, also when the next argument is another flag', async (t) => {
  for (const argv of [['load', '127.0.0.1:1', '-n'], ['load', '127.0.0.1:1', '-n', '--insecure'], ['hello', '127.0.0.1:1', '--deadline']]) {
    const { code, stderr } = await cli(argv);
    t.equal(code, 2, argv.join(' '));
    t.match(stderr, argv[2] === '--deadline' ? /--deadline needs a value/ : /-n, --total needs a value/, argv.join(' '));
    t.notMatch(stderr, NODE_TEXT);
  }
});

t.test('a value given to a flag that takes none is refused', async (t) => {
  const { code, stderr } = await cli(['hello', '--insecure=yes', '127.0.0.1:1']);
  t.equal(code, 2);
  t.match(stderr, /--insecure takes no value \(got "yes"\)/);
});

t.test('interop, which has its own usage, words them the same way', async (t) => {
  const { code, stderr } = await cli(['interop', '--server_port', '1', '--test_case']);
  t.equal(code, 2);
  t.match(stderr, /--test_case needs a value/);
  t.notMatch(stderr, NODE_TEXT);
});
