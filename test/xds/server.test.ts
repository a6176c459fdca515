import { createServer as createTcpServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { health } from '../../src/proto.js';
import { accessLine, eventually, startServer } from '../helpers/server.js';
import { ControlPlane, serverListener, TYPE_URL } from './control-plane.js';

// @grpc/grpc-js-xds reads its bootstrap once per process from the environment,
// so this file (its own process under tap) has one control plane for all its tests.
const plane = await ControlPlane.start(t);
const bootstrap = plane.bootstrap();
delete process.env.GRPC_XDS_BOOTSTRAP;
process.env.GRPC_XDS_BOOTSTRAP_CONFIG = bootstrap;
const XDS_ENV = { XDS_SERVER: 'on', GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap };

/**
 * XdsServer refuses port 0 (its Listener is named after the port), so ask the OS
 * for a free loopback port and hand it over.
 */
async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

t.test('XDS_SERVER=on without an xDS bootstrap stops start-up with an error naming the variables', async (t) => {
  const error = t.throws(() => loadConfig({ XDS_SERVER: 'on' })) as ConfigError;
  t.equal(error.variable, 'XDS_SERVER');
  t.match(error.message, /GRPC_XDS_BOOTSTRAP .*GRPC_XDS_BOOTSTRAP_CONFIG/);
  t.equal(loadConfig({}).xdsServer, false, 'off by default');
});

t.test('with XDS_SERVER=on the server serves once the control plane sends its Listener', async (t) => {
  const port = await freePort();
  plane.set(TYPE_URL.listener, serverListener('127.0.0.1', port));
  const { client, logs } = await startServer(t, XDS_ENV, { port });

  const reply = await new Promise<{ message: string }>((resolve, reject) =>
    client().SayHello({ name: 'mesh' }, (error, response) => (error ? reject(error) : resolve(response!))),
  );
  t.match(reply.message, /mesh/);
  t.match(await accessLine(logs, '/helloworld.Greeter/SayHello'), { code: 'OK' }, 'the call interceptor logged the call');

  const healthClient = new health.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => healthClient.close());
  const status = await new Promise<string>((resolve, reject) =>
    healthClient.Check({ service: '' }, (error, response) => (error ? reject(error) : resolve(response!.status as string))),
  );
  t.equal(status, 'SERVING');
  t.ok(logs.some((l) => /waiting for the xDS control plane/.test(l.message)));
  t.same(plane.nacks, []);
});

t.test('drain lets a call in flight on an xDS server finish, then stops serving', async (t) => {
  const port = await freePort();
  plane.set(TYPE_URL.listener, serverListener('127.0.0.1', port));
  const { server, client, logs } = await startServer(t, { ...XDS_ENV, STREAMING: 'on' }, { port });

  const stream = client().LotsOfReplies({ name: 'mesh', count: 5, interval_ms: 100 });
  let replies = 0;
  const ended = new Promise<grpc.StatusObject>((resolve) => {
    stream.on('data', () => (replies += 1));
    stream.on('error', () => undefined);
    stream.on('status', resolve);
  });
  await eventually(() => replies > 0, 5000, 'the first reply');

  await server.drain('test');
  t.equal((await ended).code, grpc.status.OK);
  t.equal(replies, 5, 'every reply of the call in flight arrived');
  t.ok(logs.some((l) => l.message === 'drained: every call in flight finished'));
  const error = await new Promise<grpc.ServiceError>((resolve) =>
    client().SayHello({ name: 'after' }, { deadline: Date.now() + 5000 }, (error) => resolve(error!)),
  );
  t.equal(error.code, grpc.status.UNAVAILABLE, 'a new call finds no server');
});
