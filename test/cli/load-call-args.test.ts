// `load`'s method, data and schedule flags → the plan, checked at the door.
import t from 'tap';
import { UsageError } from '../../src/cli/command.js';
import { parseLoadArgs, type LoadInvocation } from '../../src/cli/load.js';
import { PROTO_DIR } from '../../src/proto.js';

const base = ['127.0.0.1:1', '--total', '10'];

function parsed(args: string[]): LoadInvocation {
  const result = parseLoadArgs([...base, ...args], {});
  if (result === 'help') throw new Error('help');
  return result;
}

t.test('--call without --proto asks the server (reflection); --proto names the file and its import paths', async (t) => {
  t.same(parsed(['--call', 'pkg.Svc/Do']).plan.call, { method: 'pkg.Svc/Do', descriptors: { from: 'reflection' }, data: undefined, metadataTemplates: [] });
  const withProto = parsed(['--call', 'grpc.testing.TestService/UnaryCall', '--proto', 'grpc/testing/test.proto', '--import-paths', `/nowhere,${PROTO_DIR}`]);
  t.match(withProto.plan.call?.descriptors, { from: 'files', files: [`${PROTO_DIR}grpc/testing/test.proto`], importPaths: ['/nowhere', PROTO_DIR.replace(/\/$/, ''), `${PROTO_DIR}grpc/testing`] });
});

t.test('--shape alone leaves the call to the Greeter default; --data with --shape sends it to that Greeter method', async (t) => {
  t.equal(parsed(['--shape', 'bidi']).plan.call, undefined);
  t.match(parsed(['--shape', 'bidi', '-d', '{"name":"x"}']).plan.call, { method: 'helloworld.Greeter/BidiHello', data: '{"name":"x"}' });
});

t.test('templated --metadata goes with the call, the rest with the connection', async (t) => {
  const { plan } = parsed(['--call', 'a.B/C', '--metadata', 'x-team=blue', '--metadata', 'x-id={{.UUID}}']);
  t.same(plan.connection.metadata, [['x-team', 'blue']]);
  t.same(plan.call?.metadataTemplates, [['x-id', '{{.UUID}}']]);
});

t.test('--data-file is kept to be read before the run', async (t) => {
  t.equal(parsed(['--call', 'a.B/C', '--data-file', '-']).dataFile, '-');
});

t.test('schedules: step and line ramps, and the peak concurrency as the slots to make', async (t) => {
  t.same(parsed(['--load-schedule', 'step', '--load-start', '5', '--load-step', '2.5', '--load-step-duration', '10s', '--load-end', '50']).plan.rateRamp, { start: 5, step: 2.5, stepMs: 10_000, end: 50 });
  t.same(parsed(['--load-schedule', 'line', '--load-start', '200', '--load-step=-2', '--load-end', '50']).plan.rateRamp, { start: 200, step: -2, stepMs: 1000, end: 50 });
  const concurrency = parsed(['--concurrency-schedule', 'line', '--concurrency-start', '2', '--concurrency-max-duration', '10s', '--connections', '2']).plan;
  t.same(concurrency.concurrencyRamp, { start: 2, step: 1, stepMs: 1000, maxMs: 10_000 });
  t.equal(concurrency.concurrency, 12, 'from 2, one more each second for 10 s');
});

const mistakes: [string, string[], RegExp][] = [
  ['a method name without a service', ['--call', 'Nope'], /--call: "Nope" is not package.Service\/Method/],
  ['--shape and --call', ['--shape', 'server', '--call', 'a.B/C'], /give --shape \(the Greeter\) or --call, not both/],
  ['--proto without --call', ['--proto', 'x.proto'], /--proto needs --call/],
  ['--import-paths without --proto', ['--call', 'a.B/C', '--import-paths', 'x'], /--import-paths needs --proto/],
  ['--data and --data-file', ['--call', 'a.B/C', '-d', '{}', '-D', 'f.json'], /give --data or --data-file, not both/],
  ['an unknown schedule', ['--load-schedule', 'sine'], /--load-schedule: "sine" is not one of const, step, line/],
  ['a schedule flag without its schedule', ['--load-start', '5'], /--load-start needs --load-schedule step or line/],
  ['a step schedule without a step duration', ['--load-schedule', 'step', '--load-start', '5', '--load-step', '1'], /--load-schedule step needs --load-step-duration/],
  ['a schedule without a start', ['--load-schedule', 'line', '--load-step', '1'], /--load-schedule line needs --load-start above 0/],
  ['a zero step', ['--load-schedule', 'line', '--load-start', '5', '--load-step', '0'], /needs a --load-step other than 0/],
  ['a ramp down with no end', ['--load-schedule', 'line', '--load-start', '5', '--load-step=-1'], /give --load-end or --load-max-duration/],
  ['a ramp down through zero', ['--load-schedule', 'line', '--load-start', '5', '--load-step=-1', '--load-max-duration', '10s'], /it would reach -5; it must stay above 0/],
  ['--rps with a load schedule', ['--rps', '5', '--load-schedule', 'line', '--load-start', '5', '--load-step', '1'], /give --rps or --load-schedule step\|line, not both/],
  ['a concurrency ramp with no bound', ['--concurrency-schedule', 'line', '--concurrency-start', '1'], /give --concurrency-end or --concurrency-max-duration/],
  ['-c with a concurrency schedule', ['-c', '3', '--concurrency-schedule', 'line', '--concurrency-start', '1', '--concurrency-end', '3'], /give --concurrency or --concurrency-schedule/],
  ['a fractional concurrency', ['--concurrency-schedule', 'line', '--concurrency-start', '1.5', '--concurrency-end', '3'], /--concurrency-start: "1.5" is not a whole number/],
  ['a line with a step duration', ['--load-schedule', 'line', '--load-start', '5', '--load-step', '1', '--load-step-duration', '1s'], /--load-step-duration is for step/],
];

for (const [what, args, message] of mistakes) {
  t.test(`${what} is a usage error naming the flag`, async (t) => {
    t.throws(() => parseLoadArgs([...base, ...args], {}), UsageError);
    t.throws(() => parseLoadArgs([...base, ...args], {}), message);
  });
}
