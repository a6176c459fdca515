// The client side of gRPC server reflection: asks the server for the services
// it lists and the file that defines each and every file it imports, over one
// ServerReflectionInfo stream (grpc.reflection.v1, or v1alpha for servers that
// only have that), with the connection flags the caller itself uses.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { connect, ConnectError, type ConnectionSpec } from './connect.js';
import { UsageError } from './flags.js';
import { encodeDescriptorSet } from './descriptors.js';

const VERSIONS = ['v1', 'v1alpha'] as const;

/** The reflection protos @grpc/reflection ships (build/src/index.js → build/proto/). */
const REFLECTION_PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.resolve('@grpc/reflection')));

interface ReflectionRequest {
  file_by_filename?: string;
  file_containing_symbol?: string;
  list_services?: string;
}

interface ReflectionResponse {
  message_response: 'file_descriptor_response' | 'list_services_response' | 'error_response' | 'all_extension_numbers_response';
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
}

type ReflectionStream = grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
type ReflectionClient = grpc.Client & { ServerReflectionInfo(): ReflectionStream };

function reflectionClient(version: (typeof VERSIONS)[number], target: string, spec: ConnectionSpec, deadlineMs: number): ReflectionClient {
  const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
    keepCase: true,
    oneofs: true,
    includeDirs: [REFLECTION_PROTO_DIR],
  });
  const service = definition[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition;
  const Client = grpc.makeGenericClientConstructor(service, 'ServerReflection');
  const connection = connect(target, { ...spec, deadlineMs });
  return new Client(connection.target, connection.credentials, connection.options) as unknown as ReflectionClient;
}

/** One request, one response, in turn, on a ServerReflectionInfo stream; rejects with the call's status. */
class Conversation {
  private readonly waiting: { resolve: (r: ReflectionResponse) => void; reject: (e: grpc.ServiceError) => void }[] = [];
  private failure: grpc.ServiceError | undefined;

  constructor(private readonly stream: ReflectionStream) {
    stream.on('data', (response: ReflectionResponse) => this.waiting.shift()?.resolve(response));
    stream.on('error', (error: grpc.ServiceError) => {
      this.failure = error;
      for (const wait of this.waiting.splice(0)) wait.reject(error);
    });
  }

  ask(request: ReflectionRequest): Promise<ReflectionResponse> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.stream.write(request);
    });
  }

  end(): void {
    this.stream.end();
  }
}

/** Every file `service` needs, encoded FileDescriptorProtos keyed by name; a UsageError when the server does not know it. */
async function filesFor(conversation: Conversation, service: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const add = (response: ReflectionResponse): string[] => {
    const added: string[] = [];
    for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
      const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { name: string; dependency: string[] };
      if (files.has(file.name)) continue;
      files.set(file.name, bytes);
      added.push(...file.dependency);
    }
    return added;
  };
  const first = await conversation.ask({ file_containing_symbol: service });
  if (first.error_response !== undefined) {
    const names = await listedServices(conversation);
    throw new UsageError(`the server does not know the service "${service}"${names.length > 0 ? ` (it serves: ${names.join(', ')})` : ''}`);
  }
  const missing = add(first);
  while (missing.length > 0) {
    const name = missing.pop() as string;
    if (files.has(name)) continue;
    const response = await conversation.ask({ file_by_filename: name });
    if (response.error_response !== undefined) throw new UsageError(`the server's reflection has no "${name}" (imported by ${service}'s file): give --proto`);
    missing.push(...add(response));
  }
  return files;
}

/** Every service the server lists (grpc.reflection itself included), in its order. */
async function listedServices(conversation: Conversation): Promise<string[]> {
  const listed = await conversation.ask({ list_services: '' });
  return listed.list_services_response?.service.map((s) => s.name) ?? [];
}

/**
 * Runs `ask` on a ServerReflectionInfo stream to the server at `target` (v1, else v1alpha). A server
 * without reflection is a UsageError (exit 2); an unreachable server, or a failed stream, a ConnectError
 * whose cause is the call's error.
 */
async function withReflection<T>(target: string, spec: ConnectionSpec, deadlineMs: number, ask: (conversation: Conversation) => Promise<T>): Promise<T> {
  for (const version of VERSIONS) {
    const client = reflectionClient(version, target, spec, deadlineMs);
    const conversation = new Conversation(client.ServerReflectionInfo());
    try {
      return await ask(conversation);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const { code, details } = error as grpc.ServiceError;
      if (code === grpc.status.UNIMPLEMENTED) continue;
      // The system's reason (ECONNREFUSED, …) when grpc-js gives one, as the drivers' connect errors do.
      const cause = /\b(E[A-Z]{3,})\b/.exec(details)?.[1] ?? grpc.status[code];
      throw new ConnectError(`cannot ask ${target} for its descriptors (server reflection): ${grpc.status[code] ?? code}: ${details}`, cause, { cause: error });
    } finally {
      conversation.end();
      client.close();
    }
  }
  throw new UsageError(`the server at ${target} does not offer reflection (grpc.reflection.v1 or v1alpha): give its .proto with --proto`);
}

/** The FileDescriptorSet (encoded) of `service` from the server at `target`; an unknown service is a UsageError. */
export async function fetchDescriptorSet(target: string, spec: ConnectionSpec, service: string, deadlineMs: number): Promise<Uint8Array> {
  return withReflection(target, spec, deadlineMs, async (conversation) => encodeDescriptorSet([...(await filesFor(conversation, service)).values()]));
}

/** What the server's reflection holds: the services it lists, and a FileDescriptorSet (encoded) of the files that define them. */
export interface ServerDescriptors {
  readonly services: readonly string[];
  readonly set: Uint8Array;
}

/** Every service the server at `target` lists, and the files that define them (for list and describe). */
export async function fetchServerDescriptors(target: string, spec: ConnectionSpec, deadlineMs: number): Promise<ServerDescriptors> {
  return withReflection(target, spec, deadlineMs, async (conversation) => {
    const services = await listedServices(conversation);
    const files = new Map<string, Uint8Array>();
    for (const service of services) for (const [name, bytes] of await filesFor(conversation, service)) files.set(name, bytes);
    return { services, set: encodeDescriptorSet([...files.values()]) };
  });
}
