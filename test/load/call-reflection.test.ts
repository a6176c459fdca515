// --call on a service of the test's own, with well-known types, described by
// the server's reflection: the harness fetches the service's file and the
// google/protobuf files it imports, and the server decodes the JSON forms to
// the values meant.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import t from 'tap';
import { addReflection } from '../../src/server/reflection.js';
import { runJson } from '../cli/run-load.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const PROTO = `syntax = "proto3";
package demo.events.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Duration wait = 2;
  google.protobuf.StringValue label = 3;
  int64 id = 4;
}
message Ack {}
service Events { rpc Record(Event) returns (Ack); }
`;

t.test('reflection brings the imported well-known types, and Timestamp, Duration, wrappers and int64 arrive as meant', async (t) => {
  const dir = temporaryDirectory(t, 'cloudrun-grpc-events-');
  writeFileSync(path.join(dir, 'events.proto'), PROTO);
  const definition = protoLoader.loadSync('events.proto', { keepCase: true, longs: String, includeDirs: [dir] });
  const received: Record<string, unknown>[] = [];
  const server = new grpc.Server();
  server.addService(definition['demo.events.v1.Events'] as grpc.ServiceDefinition, {
    Record: (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, callback: grpc.sendUnaryData<object>) => {
      received.push(call.request);
      callback(null, {});
    },
  });
  addReflection(server, definition, ['demo.events.v1.Events']);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  t.teardown(() => server.forceShutdown());

  const { code, stderr } = await runJson(`127.0.0.1:${port}`, [
    '--call', 'demo.events.v1.Events/Record', '-n', '3',
    '-d', '{"at": "2020-01-01T00:00:00.250Z", "wait": "1.5s", "label": "first", "id": "{{.RequestNumber}}"}',
  ]);
  t.equal(code, 0, stderr);
  t.equal(received.length, 3);
  t.same(received.map((r) => r.id).sort(), ['0', '1', '2']);
  t.same(received[0]?.at, { seconds: '1577836800', nanos: 250_000_000 });
  t.same(received[0]?.wait, { seconds: '1', nanos: 500_000_000 });
  t.same(received[0]?.label, { value: 'first' });
});
