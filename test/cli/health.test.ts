import t from 'tap';
import { main } from '../../src/cli.js';
import { memoryIo, runCli } from '../helpers/cli.js';
import { eventually, startServer } from '../helpers/server.js';

t.test('health, spawned, prints SERVING and exits 0', async (t) => {
  const server = await startServer(t);
  const { code, stdout } = await runCli(t, ['health', '--insecure', server.address]);
  t.equal(code, 0);
  t.equal(stdout, 'SERVING\n');
});

t.test('health --watch prints each status as it changes: SERVING, then NOT_SERVING when the server drains', async (t) => {
  const server = await startServer(t, { SHUTDOWN_GRACE_MS: '300' });
  const { io, output } = memoryIo();
  const exit = main(['health', '--watch', '--insecure', server.address], io);
  await eventually(() => output.stdout === 'SERVING\n', 10_000, 'SERVING');
  const drained = server.server.drain('test');
  t.not(await exit, 0, 'the watch ends with the server');
  t.match(output.stdout, /^SERVING\nNOT_SERVING\n/);
  await drained;
});

t.test('health --watch --deadline ends at the deadline with the last status: 0 for SERVING', async (t) => {
  const server = await startServer(t);
  const { io, output } = memoryIo();
  t.equal(await main(['health', '--watch', '--deadline', '300ms', '--insecure', server.address], io), 0);
  t.equal(output.stdout, 'SERVING\n');
});
