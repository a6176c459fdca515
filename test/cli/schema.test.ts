// `list` and `describe` against the project's server with the interop TestService on: what they
// print is checked line by line against the FileDescriptorProto the server registered for its
// reflection (proto-loader's, decoded here on its own), and --proto prints the same.
import descriptor from 'protobufjs/ext/descriptor/index.js';
import t from 'tap';
import { interopProto } from '../../src/proto.js';
import { runCliInProcess } from '../helpers/cli.js';
import { startServer } from '../helpers/server.js';

const server = await startServer(t, { INTEROP: 'on' });
const target = ['--insecure', server.address];

interface FieldProto { name: string; number: number; label: number; type: number; typeName?: string }
interface MessageProto { name: string; field: FieldProto[] }
interface FileProto {
  package: string;
  service: { name: string; method: { name: string; inputType: string; outputType: string; clientStreaming?: boolean; serverStreaming?: boolean }[] }[];
  messageType: MessageProto[];
  enumType: { name: string; value: { name: string; number: number }[] }[];
}

/** The files the server describes TestService with, as registered for reflection (proto-loader keeps them on each type). */
const unaryCall = (interopProto().packageDefinition['grpc.testing.TestService'] as unknown as Record<string, { requestType: { fileDescriptorProtos: Buffer[] } }>).UnaryCall;
const files = (unaryCall?.requestType.fileDescriptorProtos ?? []).map(
  (bytes) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as unknown as FileProto,
);
const testProto = files.find((file) => file.service?.some((s) => s.name === 'TestService')) as FileProto;
const testService = testProto.service.find((s) => s.name === 'TestService') as FileProto['service'][number];
const messages = files.filter((file) => file.package === 'grpc.testing').flatMap((file) => file.messageType ?? []);
const enums = files.filter((file) => file.package === 'grpc.testing').flatMap((file) => file.enumType ?? []);

const SCALARS: Readonly<Record<number, string>> = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool',
  9: 'string', 12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};
const byName = <T extends { name: string }>(items: readonly T[]): T[] => [...items].sort((a, b) => (a.name < b.name ? -1 : 1));
/** proto-loader writes a field's type relative to its package: grpcurl prints it fully qualified. */
const qualified = (typeName: string | undefined): string | undefined =>
  typeName === undefined || typeName.startsWith('.') ? typeName : `.grpc.testing.${typeName}`;
const stream = (yes: boolean | undefined): string => (yes === true ? 'stream ' : '');

t.test('list names every service the server registers', async (t) => {
  const { code, stdout } = await runCliInProcess(['list', ...target]);
  t.equal(code, 0);
  t.equal(stdout, 'grpc.health.v1.Health\ngrpc.testing.TestService\nhelloworld.Greeter\n');
});

t.test("list SERVICE names each of TestService's methods, sorted, as grpcurl does", async (t) => {
  const { code, stdout } = await runCliInProcess(['list', ...target, 'grpc.testing.TestService']);
  t.equal(code, 0);
  t.equal(stdout, byName(testService.method).map((m) => `grpc.testing.TestService.${m.name}\n`).join(''));
});

t.test('describe SERVICE prints each method with its fully-qualified types and streams', async (t) => {
  const { code, stdout } = await runCliInProcess(['describe', ...target, 'grpc.testing.TestService']);
  t.equal(code, 0);
  const rpcs = byName(testService.method).map(
    (m) => `  rpc ${m.name} ( ${stream(m.clientStreaming)}${m.inputType} ) returns ( ${stream(m.serverStreaming)}${m.outputType} );`,
  );
  t.equal(stdout, ['grpc.testing.TestService is a service:', 'service TestService {', ...rpcs, '}', ''].join('\n'));
});

t.test('describe MESSAGE prints every field of every grpc.testing message, by number', async (t) => {
  t.ok(messages.length > 10, 'the interop messages are there to compare');
  for (const message of messages) {
    const { code, stdout } = await runCliInProcess(['describe', ...target, `grpc.testing.${message.name}`]);
    t.equal(code, 0);
    const fields = [...(message.field ?? [])]
      .sort((a, b) => a.number - b.number)
      .map((f) => `  ${f.label === 3 ? 'repeated ' : ''}${qualified(f.typeName) ?? SCALARS[f.type]} ${f.name} = ${f.number};`);
    t.equal(stdout, [`grpc.testing.${message.name} is a message:`, `message ${message.name} {`, ...fields, '}', ''].join('\n'), message.name);
  }
});

t.test('describe ENUM and METHOD print as grpcurl does', async (t) => {
  for (const enumType of enums) {
    const { stdout } = await runCliInProcess(['describe', ...target, `grpc.testing.${enumType.name}`]);
    const values = enumType.value.map((v) => `  ${v.name} = ${v.number};`);
    t.equal(stdout, [`grpc.testing.${enumType.name} is an enum:`, `enum ${enumType.name} {`, ...values, '}', ''].join('\n'));
  }
  const { stdout } = await runCliInProcess(['describe', ...target, 'grpc.testing.TestService.StreamingOutputCall']);
  t.equal(stdout, 'grpc.testing.TestService.StreamingOutputCall is a method:\nrpc StreamingOutputCall ( .grpc.testing.StreamingOutputCallRequest ) returns ( stream .grpc.testing.StreamingOutputCallResponse );\n');
});

t.test('with --proto, the same text from the .proto file, no server asked', async (t) => {
  for (const symbol of ['helloworld.Greeter', 'helloworld.HelloRequest']) {
    const fromServer = await runCliInProcess(['describe', ...target, symbol]);
    const fromFile = await runCliInProcess(['describe', '--proto', 'proto/helloworld.proto', symbol]);
    t.equal(fromFile.code, 0);
    t.equal(fromFile.stdout, fromServer.stdout, symbol);
  }
  const listed = await runCliInProcess(['list', '--proto', 'proto/helloworld.proto']);
  t.equal(listed.stdout, 'helloworld.Greeter\n');
});

t.test('an unknown symbol is a usage error (exit 2) that names it', async (t) => {
  const { code, stderr } = await runCliInProcess(['describe', ...target, 'grpc.testing.Nothing']);
  t.equal(code, 2);
  t.match(stderr, /no service, method, message, enum or field "grpc.testing.Nothing"/);
});
