import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

t.test('health, spawned, prints SERVING and exits 0', async (t) => {
  const server = await startServer(t);
  const { code, stdout } = await runCli(t, ['health', '--insecure', server.address]);
  t.equal(code, 0);
  t.equal(stdout, 'SERVING\n');
});
