// Where `call`, `list` and `describe` find the descriptors of what they name:
// the server's reflection by default, else --proto (with --import-paths) or
// --protoset files. The same descriptor code as `load --call` (src/client/).
import protobuf from 'protobufjs';
import type { ConnectionSpec } from '../client/connect.js';
import { buildRoot, descriptorSetFile, protoFiles, rootFromDescriptorSet, servicesIn, type DescriptorSource } from '../client/descriptors.js';
import { UsageError } from '../client/flags.js';
import { fetchDescriptorSet, fetchServerDescriptors } from '../client/reflection.js';

export const DESCRIPTOR_FLAGS = {
  proto: { type: 'string' },
  protoset: { type: 'string' },
  'import-paths': { type: 'string' },
} as const;

export const DESCRIPTOR_FLAGS_USAGE = `Descriptors (default: ask the server, grpc.reflection.v1 or v1alpha):
  --proto FILE           the .proto that defines the service instead
  --import-paths DIRS    comma-separated directories to find FILE's imports in (FILE's own is searched)
  --protoset FILE        a FileDescriptorSet instead (protoc --include_imports --descriptor_set_out=FILE)`;

export interface DescriptorFlagValues {
  proto?: string;
  protoset?: string;
  'import-paths'?: string;
}

/** --proto with --import-paths as a DescriptorSource; undefined without --proto. */
export function protoFlagSource(values: DescriptorFlagValues): DescriptorSource | undefined {
  if (values['import-paths'] !== undefined && values.proto === undefined) throw new UsageError('--import-paths needs --proto');
  if (values.proto === undefined) return undefined;
  const importPaths = (values['import-paths'] ?? '').split(',').map((dir) => dir.trim()).filter((dir) => dir !== '');
  return protoFiles(values.proto, importPaths);
}

/** Whether the flags name descriptor files (the server is then not asked for them). */
export function fromFiles(values: DescriptorFlagValues): boolean {
  if (values.proto !== undefined && values.protoset !== undefined) throw new UsageError('give --proto or --protoset, not both');
  return values.proto !== undefined || values.protoset !== undefined;
}

/** The services known, and the types to look their symbols up in. */
export interface Descriptors {
  /** Full names: the server's list (reflection) or every service in the files, sorted. */
  readonly services: readonly string[];
  readonly root: protobuf.Root;
}

/** Where the server is, for reflection: its target and connection (the call's own flags). */
export interface ReflectionTarget {
  readonly target: string;
  readonly connection: ConnectionSpec;
  readonly deadlineMs: number;
}

/**
 * The descriptors the flags point at, else the server's. `service` narrows what is fetched by reflection to
 * the files that service needs (a call); without it every listed service's files are fetched (list, describe).
 */
export async function loadDescriptors(values: DescriptorFlagValues, server: ReflectionTarget | undefined, service?: string): Promise<Descriptors> {
  const withServices = (root: protobuf.Root, services?: readonly string[]): Descriptors => ({ root, services: [...(services ?? servicesIn(root))].sort() });
  if (fromFiles(values)) {
    if (values.protoset !== undefined) return withServices(buildRoot(descriptorSetFile(values.protoset)));
    return withServices(buildRoot(protoFlagSource(values) as DescriptorSource));
  }
  if (server === undefined) throw new UsageError('missing TARGET (host[:port]): or give --proto or --protoset');
  const { target, connection, deadlineMs } = server;
  if (service !== undefined) return withServices(rootFromDescriptorSet(await fetchDescriptorSet(target, connection, service, deadlineMs)), [service]);
  const { services, set } = await fetchServerDescriptors(target, connection, deadlineMs);
  return withServices(rootFromDescriptorSet(set), services);
}
