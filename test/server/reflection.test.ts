import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { startServer } from '../helpers/server.js';

// The reflection protos ship inside @grpc/reflection.
const require = createRequire(import.meta.url);
const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto');

type Version = 'v1' | 'v1alpha';

/** Opens a reflection stream of `version`, asks for the service list, and resolves to the names. */
async function listServices(address: string, version: Version): Promise<string[]> {
  const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [reflectionProtoDir], keepCase: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: Record<string, { ServerReflection: typeof grpc.Client }> } };
  const client = new pkg.grpc.reflection[version]!.ServerReflection(address, grpc.credentials.createInsecure());
  try {
    const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, Record<string, unknown>> }).ServerReflectionInfo();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write({ list_services: '' });
    const { list_services_response } = (await answer) as { list_services_response: { service: { name: string }[] } };
    stream.end();
    return list_services_response.service.map((s) => s.name).sort();
  } finally {
    client.close();
  }
}

t.test('v1 and v1alpha reflection, first asked at the same time on one server, both list its services', async (t) => {
  const { address } = await startServer(t);
  const [v1, v1alpha] = await Promise.all([listServices(address, 'v1'), listServices(address, 'v1alpha')]);
  t.same(v1, ['grpc.health.v1.Health', 'helloworld.Greeter']);
  t.same(v1alpha, v1);
});
