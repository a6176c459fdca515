// What a client knows of a method it calls by name (the load harness's --call,
// the CLI's call, list and describe): its descriptors, as plain data that
// crosses to worker threads by structured clone (.proto file names, or a
// FileDescriptorSet from the server's reflection or a --protoset file), and
// the protobufjs types built from them.
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { UsageError } from './flags.js';

/** A method's kind by whether each side streams (the load harness's shapes). */
export type MethodKind = 'unary' | 'server' | 'client' | 'bidi';

/** Where a method's descriptors come from. */
export type DescriptorSource =
  /** --proto FILE with --import-paths DIR,… (the Greeter's own proto for --shape). */
  | { readonly from: 'files'; readonly files: readonly string[]; readonly importPaths: readonly string[] }
  /** The server's reflection; `set` is the FileDescriptorSet it gave, once fetched (before the run). */
  | { readonly from: 'reflection'; readonly set?: Uint8Array }
  /** --protoset FILE: a FileDescriptorSet as `protoc -o FILE --include_imports` writes it. */
  | { readonly from: 'descriptor-set'; readonly file: string; readonly set: Uint8Array };

/** A method found in its descriptors. */
export interface MethodTypes {
  /** "/package.Service/Method" */
  readonly path: string;
  readonly service: string;
  readonly method: string;
  readonly kind: MethodKind;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
}

/** "package.Service/Method" or "package.Service.Method" → [service, method]; throws UsageError. */
export function splitMethodName(name: string): [service: string, method: string] {
  const trimmed = name.trim().replace(/^\//, '');
  const slash = trimmed.lastIndexOf('/');
  const cut = slash === -1 ? trimmed.lastIndexOf('.') : slash;
  const service = trimmed.slice(0, cut);
  const method = trimmed.slice(cut + 1);
  if (cut <= 0 || method === '' || !/^[A-Za-z_][\w.]*$/.test(service) || !/^[A-Za-z_]\w*$/.test(method)) {
    throw new UsageError(`"${name}" is not package.Service/Method (or package.Service.Method)`);
  }
  return [service, method];
}

/** The file at `file`, or in one of `importPaths`; absolute. */
function findFile(file: string, importPaths: readonly string[]): string | undefined {
  for (const candidate of [path.resolve(file), ...importPaths.map((dir) => path.resolve(dir, file))]) {
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The .proto files and import paths as `--proto` and `--import-paths` give them, checked; the file's own directory is searched too (as protoc and ghz do). */
export function protoFiles(file: string, importPaths: readonly string[]): DescriptorSource {
  const found = findFile(file, importPaths);
  if (found === undefined) throw new UsageError(`--proto: cannot read "${file}" (looked here and in --import-paths)`);
  return { from: 'files', files: [found], importPaths: [...importPaths.map((dir) => path.resolve(dir)), path.dirname(found)] };
}

function rootFromFiles(files: readonly string[], importPaths: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  const fallback = root.resolvePath.bind(root);
  root.resolvePath = (origin, target) => (path.isAbsolute(target) ? target : (findFile(target, importPaths) ?? fallback(origin, target)));
  try {
    root.loadSync([...files], { keepCase: true }).resolveAll();
    return root;
  } catch (error) {
    throw new UsageError(`--proto: ${(error as Error).message}`);
  }
}

type RootWithDescriptors = typeof protobuf.Root & { fromDescriptor(set: protobuf.Message | Uint8Array): protobuf.Root };

/** Types from a FileDescriptorSet's bytes (as reflection gives them); field names stay as declared. */
export function rootFromDescriptorSet(set: Uint8Array): protobuf.Root {
  const root = (protobuf.Root as RootWithDescriptors).fromDescriptor(descriptor.FileDescriptorSet.decode(set));
  root.resolveAll();
  return root;
}

/** FileDescriptorProtos (each encoded) → one FileDescriptorSet, encoded. */
export function encodeDescriptorSet(files: readonly Uint8Array[]): Uint8Array {
  const set = descriptor.FileDescriptorSet.create({ file: files.map((bytes) => descriptor.FileDescriptorProto.decode(bytes)) });
  return descriptor.FileDescriptorSet.encode(set).finish();
}

/** --protoset FILE, read and checked: a FileDescriptorSet that protobufjs can build types from. */
export function descriptorSetFile(file: string): DescriptorSource {
  let set: Uint8Array;
  try {
    set = readFileSync(file);
  } catch (error) {
    throw new UsageError(`--protoset: cannot read "${file}" (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    rootFromDescriptorSet(set);
  } catch (error) {
    throw new UsageError(`--protoset: "${file}" is not a FileDescriptorSet with every import (protoc -o FILE --include_imports): ${(error as Error).message}`);
  }
  return { from: 'descriptor-set', file, set };
}

export function buildRoot(source: DescriptorSource): protobuf.Root {
  if (source.from === 'files') return rootFromFiles(source.files, source.importPaths);
  if (source.from === 'descriptor-set') return rootFromDescriptorSet(source.set);
  if (source.set === undefined) throw new Error('the server\'s descriptors were not fetched before the run');
  return rootFromDescriptorSet(source.set);
}

const KINDS: Readonly<Record<string, MethodKind>> = { 'false,false': 'unary', 'false,true': 'server', 'true,false': 'client', 'true,true': 'bidi' };

/** The method `name` in `root`; an unknown service or method is a UsageError naming what there is. */
export function findMethod(root: protobuf.Root, name: string): MethodTypes {
  const [serviceName, methodName] = splitMethodName(name);
  const service = root.lookup(serviceName);
  if (!(service instanceof protobuf.Service)) {
    throw new UsageError(`unknown service "${serviceName}"${known(servicesIn(root), 'services')}`);
  }
  const method = service.methods[methodName];
  if (method === undefined) {
    throw new UsageError(`${serviceName} has no method "${methodName}"${known(Object.keys(service.methods), 'methods')}`);
  }
  method.resolve();
  return {
    path: `/${serviceName}/${methodName}`,
    service: serviceName,
    method: methodName,
    kind: KINDS[`${method.requestStream === true},${method.responseStream === true}`] as MethodKind,
    requestType: method.resolvedRequestType as protobuf.Type,
    responseType: method.resolvedResponseType as protobuf.Type,
  };
}

const known = (names: readonly string[], what: string): string => (names.length === 0 ? '' : ` (${what}: ${names.join(', ')})`);

/** Every service's full name, without the leading dot. */
export function servicesIn(namespace: protobuf.NamespaceBase): string[] {
  return namespace.nestedArray.flatMap((nested) => {
    if (nested instanceof protobuf.Service) return [nested.fullName.replace(/^\./, '')];
    return nested instanceof protobuf.Namespace || nested instanceof protobuf.Type ? servicesIn(nested) : [];
  });
}
