import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';

t.test('INTEROP is off unless set to on', async (t) => {
  t.equal(loadConfig({}).interop, false);
  t.equal(loadConfig({ INTEROP: 'on' }).interop, true);
  t.equal(loadConfig({ INTEROP: 'OFF' }).interop, false);
});

t.test('INTEROP other than on or off is an error that names the variable', async (t) => {
  t.throws(() => loadConfig({ INTEROP: 'yes' }), new ConfigError('INTEROP', '"yes" is not one of on, off'));
});
