import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { connect, healthClient } from '../../src/client/connect.js';
import type { HealthCheckResponse__Output } from '../../src/generated/grpc/health/v1/HealthCheckResponse.js';
import { HEALTH_SERVICES } from '../../src/server/health.js';
import { eventually, startServer } from '../helpers/server.js';

function check(address: string, service: string): Promise<{ error: grpc.ServiceError | null; status?: string }> {
  const client = healthClient(connect(address, { insecure: true }));
  return new Promise((resolve) =>
    client.Check({ service }, (error, response) => {
      client.close();
      resolve({ error, status: response?.status as string | undefined });
    }),
  );
}

t.test('health reports SERVING for the server and for helloworld.Greeter', async (t) => {
  const { address } = await startServer(t);
  t.same(HEALTH_SERVICES, ['', 'helloworld.Greeter']);
  for (const service of HEALTH_SERVICES) t.equal((await check(address, service)).status, 'SERVING', `"${service}"`);
});

t.test('health answers NOT_FOUND for a service it does not know', async (t) => {
  const { address } = await startServer(t);
  t.equal((await check(address, 'nope.Nothing')).error?.code, grpc.status.NOT_FOUND);
});

t.test('a health Watch sees NOT_SERVING when the server drains, then ends with UNAVAILABLE', async (t) => {
  const { address, server } = await startServer(t, { SHUTDOWN_GRACE_MS: '2000' });
  const client = healthClient(connect(address, { insecure: true }));
  t.teardown(() => client.close());
  const seen: string[] = [];
  const watch = client.Watch({ service: 'helloworld.Greeter' });
  watch.on('data', (r: HealthCheckResponse__Output) => seen.push(r.status as string));
  watch.on('error', () => {});
  const ended = new Promise<grpc.StatusObject>((resolve) => watch.on('status', resolve));
  await eventually(() => seen.length === 1, 5000, 'the first Watch answer');
  await server.drain('test');
  t.same(seen, ['SERVING', 'NOT_SERVING']);
  t.equal((await ended).code, grpc.status.UNAVAILABLE);
});

// The reflection protos ship inside @grpc/reflection.
const require = createRequire(import.meta.url);
const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto');

for (const version of ['v1', 'v1alpha'] as const) {
  t.test(`reflection (${version}) lists the Greeter and health and describes the Greeter`, async (t) => {
    const { address } = await startServer(t);
    const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [reflectionProtoDir], keepCase: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: Record<string, { ServerReflection: typeof grpc.Client }> };
    };
    const Reflection = pkg.grpc.reflection[version]!.ServerReflection;
    const client = new Reflection(address, grpc.credentials.createInsecure());
    t.teardown(() => client.close());
    const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Record<string, unknown>> }).ServerReflectionInfo();
    const answers: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', (a) => answers.push(a));
    stream.write({ list_services: '' });
    stream.write({ file_containing_symbol: 'helloworld.Greeter' });
    stream.end();
    await done;
    const services = (answers[0]!.list_services_response as { service: { name: string }[] }).service.map((s) => s.name);
    t.ok(services.includes('helloworld.Greeter'), 'lists helloworld.Greeter');
    t.ok(services.includes('grpc.health.v1.Health'), 'lists grpc.health.v1.Health');
    const files = (answers[1]!.file_descriptor_response as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
    t.ok(files.some((f) => f.toString('latin1').includes('LotsOfReplies')), 'describes the Greeter methods');
  });
}
