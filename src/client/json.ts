// Protobuf's JSON mapping, read into the plain object protobufjs encodes:
// original or lowerCamelCase field names, enums by name (or number), 64-bit
// integers as strings (or numbers), bytes as base64, and the well-known types
// in their JSON forms (Timestamp "2020-01-01T00:00:00Z", Duration "1.5s",
// wrappers as bare values, Struct/Value/ListValue as any JSON, FieldMask
// "a.b,c", Any with "@type"). protobufjs's fromObject does not know those
// forms, and says little when a value does not fit; this names the field and
// the reason.
import protobuf from 'protobufjs';

/** A value that does not fit the message: `field` is its path ("payload.body", "items[2].id"). */
export class RequestDataError extends Error {
  override name = 'RequestDataError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field === '' ? reason : `field "${field}": ${reason}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Encodable = unknown;

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64 = new Set(['uint64', 'fixed64']);

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`);

/** `json` (parsed) as a message of `type`, ready for type.fromObject; throws RequestDataError. */
export function messageFromJson(type: protobuf.Type, json: unknown, at = ''): Record<string, Encodable> {
  const special = WELL_KNOWN[type.fullName];
  if (special !== undefined) return special(type, json as Json, at);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new RequestDataError(at, `${type.name} is a JSON object, not ${describe(json)}`);
  }
  const out: Record<string, Encodable> = {};
  const oneofsSet = new Map<string, string>();
  for (const [key, value] of Object.entries(json as Record<string, Json>)) {
    const field = fieldNamed(type, key);
    const where = at === '' ? key : `${at}.${key}`;
    if (field === undefined) throw new RequestDataError(where, `${type.fullName.replace(/^\./, '')} has no such field`);
    if (value === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue; // null: the default
    if (field.partOf !== null) {
      const other = oneofsSet.get(field.partOf.name);
      if (other !== undefined) throw new RequestDataError(where, `"${other}" is already set, and both are in oneof ${field.partOf.name}`);
      oneofsSet.set(field.partOf.name, key);
    }
    out[field.name] = fieldValue(field, value, where);
  }
  return out;
}

function fieldNamed(type: protobuf.Type, key: string): protobuf.Field | undefined {
  return type.fields[key] ?? type.fieldsArray.find((f) => protobuf.util.camelCase(f.name) === key || (f.options?.json_name as string | undefined) === key);
}

function fieldValue(field: protobuf.Field, value: Json, at: string): Encodable {
  if (field instanceof protobuf.MapField) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RequestDataError(at, `a map is a JSON object, not ${describe(value)}`);
    const out: Record<string, Encodable> = {};
    for (const [key, item] of Object.entries(value)) {
      const where = `${at}["${key}"]`;
      mapKey(field.keyType, key, where);
      out[key] = singleValue(field, item, where);
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new RequestDataError(at, `a repeated field is a JSON array, not ${describe(value)}`);
    return value.map((item, i) => singleValue(field, item, `${at}[${i}]`));
  }
  return singleValue(field, value, at);
}

function mapKey(keyType: string, key: string, at: string): void {
  if (keyType === 'string') return;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false') throw new RequestDataError(at, 'a bool map key is "true" or "false"');
    return;
  }
  scalar(keyType, key, at);
}

function singleValue(field: protobuf.Field, value: Json, at: string): Encodable {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, at);
  if (resolved instanceof protobuf.Enum) return enumValue(resolved, value, at);
  return scalar(field.type, value, at);
}

function enumValue(type: protobuf.Enum, value: Json, at: string): number {
  if (typeof value === 'string') {
    const number = type.values[value];
    if (number === undefined) throw new RequestDataError(at, `"${value}" is not a value of ${type.name} (${Object.keys(type.values).join(', ')})`);
    return number;
  }
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new RequestDataError(at, `an enum is given by name or number, not ${describe(value)}`);
}

function integer(value: Json, at: string, what: string): string {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  if (!/^-?\d+$/.test(text)) throw new RequestDataError(at, `${what} is a whole number (or a string of one), not ${describe(value)}`);
  return text;
}

function bounded(text: string, min: bigint, max: bigint, at: string, what: string): void {
  const n = BigInt(text);
  if (n < min || n > max) throw new RequestDataError(at, `${text} is out of range for ${what}`);
}

function scalar(type: string, value: Json, at: string): Encodable {
  if (INT32.has(type) || UINT32.has(type)) {
    const text = integer(value, at, type);
    bounded(text, INT32.has(type) ? -(2n ** 31n) : 0n, INT32.has(type) ? 2n ** 31n - 1n : 2n ** 32n - 1n, at, type);
    return Number(text);
  }
  if (INT64.has(type) || UINT64.has(type)) {
    const text = integer(value, at, type);
    bounded(text, INT64.has(type) ? -(2n ** 63n) : 0n, INT64.has(type) ? 2n ** 63n - 1n : 2n ** 64n - 1n, at, type);
    return text; // fromObject reads a decimal string as a Long
  }
  switch (type) {
    case 'double':
    case 'float': {
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      throw new RequestDataError(at, `${type} is a number, not ${describe(value)}`);
    }
    case 'bool':
      if (typeof value !== 'boolean') throw new RequestDataError(at, `bool is true or false, not ${describe(value)}`);
      return value;
    case 'string':
      if (typeof value !== 'string') throw new RequestDataError(at, `string is a JSON string, not ${describe(value)}`);
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new RequestDataError(at, `bytes are a base64 string, not ${describe(value)}`);
      return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    default:
      throw new RequestDataError(at, `cannot read a value of type ${type}`);
  }
}

type WellKnown = (type: protobuf.Type, json: Json, at: string) => Record<string, Encodable>;

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const nanosOf = (fraction: string | undefined): number => (fraction === undefined ? 0 : Number(fraction.padEnd(9, '0')));

function timestamp(_type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  const match = typeof json === 'string' ? RFC3339.exec(json) : null;
  const millis = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
  if (!match || Number.isNaN(millis)) throw new RequestDataError(at, `a Timestamp is an RFC 3339 string such as "2020-01-01T00:00:00Z", not ${describe(json)}`);
  return { seconds: Math.floor(millis / 1000), nanos: nanosOf(match[2]) };
}

function duration(_type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  const match = typeof json === 'string' ? DURATION.exec(json) : null;
  if (!match) throw new RequestDataError(at, `a Duration is a string of seconds such as "1.5s", not ${describe(json)}`);
  const sign = match[1] === '-' ? -1 : 1;
  return { seconds: sign * Number(match[2]), nanos: sign * nanosOf(match[3]) };
}

/** Wrappers (Int32Value, StringValue, …): the bare value of their one field. */
function wrapper(type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  return { value: singleValue(type.fields.value as protobuf.Field, json, at) };
}

/**
 * A field by its number: protobufjs's bundled google/protobuf types name their fields in lowerCamelCase
 * (typeUrl), descriptors from a server as declared (type_url).
 */
const nameOf = (type: protobuf.Type, id: number): string => (type.fieldsById[id] as protobuf.Field).name;

/** google.protobuf.Value: null, number, string, bool, struct, list (field numbers 1 to 6). */
function value(type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  if (json === null) return { [nameOf(type, 1)]: 0 };
  if (typeof json === 'number') return { [nameOf(type, 2)]: json };
  if (typeof json === 'string') return { [nameOf(type, 3)]: json };
  if (typeof json === 'boolean') return { [nameOf(type, 4)]: json };
  const root = type.root;
  if (Array.isArray(json)) return { [nameOf(type, 6)]: listValue(root.lookupType('google.protobuf.ListValue'), json, at) };
  return { [nameOf(type, 5)]: struct(root.lookupType('google.protobuf.Struct'), json, at) };
}

function struct(type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RequestDataError(at, `a Struct is a JSON object, not ${describe(json)}`);
  const valueType = type.root.lookupType('google.protobuf.Value');
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, value(valueType, v, `${at}.${k}`)])) };
}

function listValue(type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  if (!Array.isArray(json)) throw new RequestDataError(at, `a ListValue is a JSON array, not ${describe(json)}`);
  const valueType = type.root.lookupType('google.protobuf.Value');
  return { values: json.map((v, i) => value(valueType, v, `${at}[${i}]`)) };
}

function fieldMask(_type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  if (typeof json !== 'string') throw new RequestDataError(at, `a FieldMask is a string such as "user.name,photo", not ${describe(json)}`);
  const snake = (p: string): string => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return { paths: json === '' ? [] : json.split(',').map((p) => p.trim().split('.').map(snake).join('.')) };
}

function any(type: protobuf.Type, json: Json, at: string): Record<string, Encodable> {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof json['@type'] !== 'string') {
    throw new RequestDataError(at, 'an Any is a JSON object with "@type": "type.googleapis.com/package.Message"');
  }
  const { '@type': url, ...rest } = json as Record<string, Json> & { '@type': string };
  const name = url.slice(url.lastIndexOf('/') + 1);
  let packed: protobuf.Type;
  try {
    packed = type.root.lookupType(name);
  } catch {
    throw new RequestDataError(`${at}.@type`, `no message "${name}" in the descriptors`);
  }
  const content = WELL_KNOWN[packed.fullName] !== undefined ? (rest.value as Json) : rest;
  const message = packed.fromObject(messageFromJson(packed, content, at));
  return { [nameOf(type, 1)]: url, [nameOf(type, 2)]: Buffer.from(packed.encode(message).finish()) };
}

const WRAPPERS = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'];

const WELL_KNOWN: Readonly<Record<string, WellKnown>> = {
  '.google.protobuf.Timestamp': timestamp,
  '.google.protobuf.Duration': duration,
  '.google.protobuf.Struct': struct,
  '.google.protobuf.Value': value,
  '.google.protobuf.ListValue': listValue,
  '.google.protobuf.FieldMask': fieldMask,
  '.google.protobuf.Any': any,
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, wrapper])),
};

/** `json` encoded as a `type` message; throws RequestDataError when it does not fit. */
export function encodeJson(type: protobuf.Type, json: unknown): Buffer {
  const message = type.fromObject(messageFromJson(type, json));
  return Buffer.from(type.encode(message).finish());
}

// The other way: a decoded reply in protobuf's JSON mapping, as protojson prints it (grpcurl's
// output): lowerCamelCase names (or json_name), fields at their defaults left out, enums by name,
// 64-bit integers as strings, bytes as base64, the well-known types in their JSON forms.

type Decoded = Record<string, unknown>;

/** Whether a field counts as set: one with presence (message, oneof, proto3 optional) when on the wire, any other when not its default. */
function isSet(field: protobuf.Field, message: Decoded): boolean {
  const value = message[field.name];
  if (field.map) return value !== undefined && Object.keys(value as object).length > 0;
  if (field.repeated) return Array.isArray(value) && value.length > 0;
  const hasPresence = field.resolvedType instanceof protobuf.Type || field.partOf !== null || field.options?.proto3_optional === true;
  if (hasPresence) return Object.hasOwn(message, field.name) && value !== null && value !== undefined;
  if (value === undefined || value === null) return false;
  if (typeof value === 'object' && 'low' in value && 'high' in value) return String(value) !== '0';
  if (field.type === 'bytes') return (value as Uint8Array).length > 0;
  return value !== 0 && value !== '' && value !== false;
}

const jsonName = (field: protobuf.Field): string => (field.options?.json_name as string | undefined) ?? protobuf.util.camelCase(field.name);

function jsonNumber(value: number): Json {
  return Number.isFinite(value) ? value : String(value); // NaN, Infinity, -Infinity as strings
}

function scalarToJson(field: protobuf.Field, value: unknown): Json {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as Decoded);
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? (value as number);
  if (INT64.has(field.type) || UINT64.has(field.type)) return String(value); // a Long or a number
  if (field.type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if (field.type === 'double' || field.type === 'float') return jsonNumber(value as number);
  return value as Json;
}

function fieldToJson(field: protobuf.Field, value: unknown): Json {
  if (field.map) return Object.fromEntries(Object.entries(value as Decoded).map(([k, v]) => [k, scalarToJson(field, v)]));
  if (field.repeated) return (value as unknown[]).map((v) => scalarToJson(field, v));
  return scalarToJson(field, value);
}

const fractionOf = (nanos: number): string => {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
};
const numberOf = (value: unknown): number => (typeof value === 'number' ? value : Number(String(value)));

type WellKnownOut = (type: protobuf.Type, message: Decoded) => Json;

const WELL_KNOWN_OUT: Readonly<Record<string, WellKnownOut>> = {
  '.google.protobuf.Timestamp': (type, m) => {
    const seconds = numberOf(m[nameOf(type, 1)]);
    const nanos = numberOf(m[nameOf(type, 2)]);
    return `${new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '')}${fractionOf(nanos)}Z`;
  },
  '.google.protobuf.Duration': (type, m) => {
    const seconds = numberOf(m[nameOf(type, 1)]);
    const nanos = numberOf(m[nameOf(type, 2)]);
    const sign = seconds < 0 || nanos < 0 ? '-' : '';
    return `${sign}${Math.abs(seconds)}${fractionOf(Math.abs(nanos))}s`;
  },
  '.google.protobuf.Struct': (type, m) =>
    Object.fromEntries(Object.entries((m[nameOf(type, 1)] ?? {}) as Decoded).map(([k, v]) => [k, valueToJson(type.root.lookupType('google.protobuf.Value'), v as Decoded)])),
  '.google.protobuf.Value': (type, m) => valueToJson(type, m),
  '.google.protobuf.ListValue': (type, m) =>
    ((m[nameOf(type, 1)] ?? []) as Decoded[]).map((v) => valueToJson(type.root.lookupType('google.protobuf.Value'), v)),
  '.google.protobuf.FieldMask': (type, m) => ((m[nameOf(type, 1)] ?? []) as string[]).map((p) => p.split('.').map((s) => protobuf.util.camelCase(s)).join('.')).join(','),
  '.google.protobuf.Any': (type, m) => {
    const url = String(m[nameOf(type, 1)] ?? '');
    const packed = type.root.lookupType(url.slice(url.lastIndexOf('/') + 1));
    const content = messageToJson(packed, packed.decode((m[nameOf(type, 2)] ?? new Uint8Array()) as Uint8Array) as unknown as Decoded);
    const fields: Record<string, Json> = WELL_KNOWN_OUT[packed.fullName] !== undefined ? { value: content } : (content as Record<string, Json>);
    return { '@type': url, ...fields };
  },
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, (type: protobuf.Type, m: Decoded) => scalarToJson(type.fieldsById[1] as protobuf.Field, m[nameOf(type, 1)] ?? (type.fieldsById[1] as protobuf.Field).defaultValue)])),
};

function valueToJson(type: protobuf.Type, m: Decoded): Json {
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(m, field.name)) continue;
    if (field.id === 1) return null;
    return scalarToJson(field, m[field.name]);
  }
  return null;
}

/** A decoded `type` message in protobuf's JSON mapping (fields in number order, defaults left out). */
export function messageToJson(type: protobuf.Type, message: Decoded): Json {
  const special = WELL_KNOWN_OUT[type.fullName];
  if (special !== undefined) return special(type, message);
  const out: Record<string, Json> = {};
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    field.resolve();
    if (isSet(field, message)) out[jsonName(field)] = fieldToJson(field, message[field.name]);
  }
  return out;
}

/** A `type` message's bytes as one line of JSON. */
export function decodeToJson(type: protobuf.Type, bytes: Uint8Array): string {
  return JSON.stringify(messageToJson(type, type.decode(bytes) as unknown as Decoded));
}
