// `cloudrun-grpc list` and `describe`: what the server's reflection (or
// --proto, --protoset) holds, in grpcurl's output shapes: names one per line,
// and descriptors as proto source with fully-qualified type names.
import protobuf from 'protobufjs';
import { CONNECTION_FLAGS, CONNECTION_FLAGS_USAGE, connectOptionsFromFlags, UsageError } from '../client/flags.js';
import { DEFAULT_DEADLINE_MS, genericClient } from '../client/connect.js';
import { noMoreArguments, parseCommandArgs, runCall, TARGET_USAGE } from './call.js';
import type { Command, CommandIO } from './command.js';
import { DESCRIPTOR_FLAGS, DESCRIPTOR_FLAGS_USAGE, fromFiles, loadDescriptors, type Descriptors } from './descriptor-flags.js';

const FLAGS = { ...CONNECTION_FLAGS, ...DESCRIPTOR_FLAGS } as const;

const fullName = (object: protobuf.ReflectionObject): string => object.fullName.replace(/^\./, '');

/** A field's type as grpcurl prints it: scalars by name, messages and enums fully qualified with a leading dot. */
function typeName(field: protobuf.Field, type = field.type): string {
  field.resolve();
  return field.resolvedType === null ? type : field.resolvedType.fullName;
}

function fieldLine(field: protobuf.Field): string {
  if (field instanceof protobuf.MapField) return `map<${field.keyType}, ${typeName(field)}> ${field.name} = ${field.id};`;
  const label = field.repeated ? 'repeated ' : field.options?.proto3_optional === true ? 'optional ' : '';
  return `${label}${typeName(field)} ${field.name} = ${field.id};`;
}

const indent = (lines: readonly string[]): string[] => lines.map((line) => `  ${line}`);
const byNumber = (a: protobuf.Field, b: protobuf.Field): number => a.id - b.id;
const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function methodLine(method: protobuf.Method): string {
  method.resolve();
  const request = (method.resolvedRequestType as protobuf.Type).fullName;
  const response = (method.resolvedResponseType as protobuf.Type).fullName;
  return `rpc ${method.name} ( ${method.requestStream === true ? 'stream ' : ''}${request} ) returns ( ${method.responseStream === true ? 'stream ' : ''}${response} );`;
}

function enumLines(type: protobuf.Enum): string[] {
  const values = Object.entries(type.values).sort(([, a], [, b]) => a - b);
  return [`enum ${type.name} {`, ...indent(values.map(([name, number]) => `${name} = ${number};`)), '}'];
}

function messageLines(type: protobuf.Type): string[] {
  const body: string[] = [];
  const realOneofs = type.oneofsArray.filter((oneof) => !oneof.fieldsArray.every((f) => f.options?.proto3_optional === true));
  const inOneof = new Set(realOneofs.flatMap((oneof) => oneof.fieldsArray));
  for (const field of [...type.fieldsArray].sort(byNumber)) if (!inOneof.has(field)) body.push(fieldLine(field));
  for (const oneof of realOneofs) body.push(`oneof ${oneof.name} {`, ...indent([...oneof.fieldsArray].sort(byNumber).map(fieldLine)), '}');
  for (const nested of [...type.nestedArray].sort(byName)) {
    if (nested instanceof protobuf.Type && nested.options?.map_entry !== true) body.push(...messageLines(nested));
    else if (nested instanceof protobuf.Enum) body.push(...enumLines(nested));
  }
  return [`message ${type.name} {`, ...indent(body), '}'];
}

function serviceLines(service: protobuf.Service): string[] {
  return [`service ${service.name} {`, ...indent([...service.methodsArray].sort(byName).map(methodLine)), '}'];
}

/** `symbol` as grpcurl's describe prints it: "NAME is a KIND:" and its proto source. */
export function describeSymbol(root: protobuf.Root, symbol: string): string {
  const found = root.lookup(symbol.replace(/^\./, ''));
  if (found instanceof protobuf.Service) return [`${fullName(found)} is a service:`, ...serviceLines(found)].join('\n');
  if (found instanceof protobuf.Method) return `${fullName(found)} is a method:\n${methodLine(found)}`;
  if (found instanceof protobuf.Type) return [`${fullName(found)} is a message:`, ...messageLines(found)].join('\n');
  if (found instanceof protobuf.Enum) return [`${fullName(found)} is an enum:`, ...enumLines(found)].join('\n');
  if (found instanceof protobuf.Field) return `${fullName(found)} is a field:\n${fieldLine(found)}`;
  throw new UsageError(`no service, method, message, enum or field "${symbol}" in the descriptors`);
}

/** The methods of `service`, full names (package.Service.Method), sorted: grpcurl's `list SERVICE`. */
export function methodNames(root: protobuf.Root, service: string): string[] {
  const found = root.lookup(service.replace(/^\./, ''));
  if (!(found instanceof protobuf.Service)) throw new UsageError(`no service "${service}" in the descriptors`);
  return found.methodsArray.map((m) => `${fullName(found)}.${m.name}`).sort();
}

/** Parses TARGET (unless the descriptors come from files) and one optional SYMBOL; runs `print` on the descriptors. */
async function runSchema(argv: readonly string[], io: CommandIO, print: (descriptors: Descriptors, symbol: string | undefined) => string): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, FLAGS);
  const write = (descriptors: Descriptors, symbol: string | undefined): void => void io.stdout.write(`${print(descriptors, symbol)}\n`);
  if (fromFiles(values)) {
    const [symbol, ...extra] = positionals;
    noMoreArguments(extra);
    write(await loadDescriptors(values, undefined), symbol);
    return 0;
  }
  const [target, symbol, ...extra] = positionals;
  noMoreArguments(extra);
  return runCall(io, values, target, genericClient, async () => {
    const { deadlineMs = DEFAULT_DEADLINE_MS, ...connection } = connectOptionsFromFlags(values, io.env);
    write(await loadDescriptors(values, { target: target as string, connection, deadlineMs }), symbol);
  });
}

const SCHEMA_USAGE = `${DESCRIPTOR_FLAGS_USAGE}

${CONNECTION_FLAGS_USAGE}
  --help, -h             this help

${TARGET_USAGE}`;

export const listCommand: Command = {
  name: 'list',
  summary: "the server's services, or a service's methods, through reflection (grpcurl list)",
  usage: `Usage: cloudrun-grpc list [options] TARGET [SERVICE]
       cloudrun-grpc list --proto FILE | --protoset FILE [SERVICE]

Prints the services the server's reflection lists, one full name a line, or with SERVICE its methods
(package.Service.Method), sorted. With --proto or --protoset, the services in those files instead.

${SCHEMA_USAGE}`,
  flags: FLAGS,
  run: (argv, io) =>
    runSchema(argv, io, ({ root, services }, service) => (service === undefined ? services : methodNames(root, service)).join('\n')),
};

export const describeCommand: Command = {
  name: 'describe',
  summary: 'a service, method, message, enum or field as proto source, through reflection (grpcurl describe)',
  usage: `Usage: cloudrun-grpc describe [options] TARGET [SYMBOL]
       cloudrun-grpc describe --proto FILE | --protoset FILE [SYMBOL]

Prints SYMBOL (a fully-qualified service, method, message, enum or field name) as "SYMBOL is a KIND:"
and its definition in proto syntax with fully-qualified type names, as grpcurl does; with no SYMBOL,
every service listed.

${SCHEMA_USAGE}`,
  flags: FLAGS,
  run: (argv, io) =>
    runSchema(argv, io, ({ root, services }, symbol) => (symbol === undefined ? services : [symbol]).map((s) => describeSymbol(root, s)).join('\n')),
};
