// Protobuf's JSON mapping as --data reads it: each form encoded, then decoded
// as the server would, to the values meant; a value that does not fit named by
// its field; and replies printed back in the same mapping (what `call` prints).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { buildRoot } from '../../src/client/descriptors.js';
import { decodeToJson, encodeJson, RequestDataError } from '../../src/client/json.js';
import { temporaryDirectory } from '../helpers/temp-dir.js';

const PROTO = `syntax = "proto3";
package demo;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/any.proto";
import "google/protobuf/field_mask.proto";
enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }
message Inner { string note = 1; }
message Order {
  int64 big = 1;
  uint64 unsigned_big = 2;
  bytes blob = 3;
  Color color = 4;
  google.protobuf.Timestamp at = 5;
  google.protobuf.Duration wait = 6;
  google.protobuf.Int32Value maybe = 7;
  google.protobuf.Struct extra = 8;
  google.protobuf.Any anything = 9;
  repeated Inner inner_list = 10;
  map<string, int32> counts = 11;
  google.protobuf.FieldMask mask = 12;
  double ratio = 13;
  oneof choice { string left = 14; string right = 15; }
}
service Orders { rpc Place(Order) returns (Order); }
`;

const orderType = (t: Test) => {
  const dir = temporaryDirectory(t, 'cloudrun-grpc-json-');
  writeFileSync(path.join(dir, 'order.proto'), PROTO);
  const root = buildRoot({ from: 'files', files: [path.join(dir, 'order.proto')], importPaths: [dir] });
  return { root, type: root.lookupType('demo.Order') };
};

t.test('every JSON form decodes to the value meant', async (t) => {
  const { root, type } = orderType(t);
  const bytes = encodeJson(type, {
    big: '-9007199254740993',
    unsignedBig: '18446744073709551615',
    blob: 'aGVsbG8=',
    color: 'RED',
    at: '2020-01-01T00:00:01.5Z',
    wait: '1.5s',
    maybe: 7,
    extra: { a: [1, 'two', true, null], b: { c: 3 } },
    anything: { '@type': 'type.googleapis.com/demo.Inner', note: 'packed' },
    innerList: [{ note: 'x' }, { note: 'y' }],
    counts: { k: 2 },
    mask: 'innerList,color',
    ratio: 'NaN',
    right: 'r',
  });
  const order = type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, defaults: false }) as Record<string, unknown>;
  t.equal(order.big, '-9007199254740993', 'int64 from a string, exactly');
  t.equal(order.unsigned_big, '18446744073709551615');
  t.equal(order.blob, 'aGVsbG8=');
  t.equal(order.color, 'RED');
  t.same(order.at, { seconds: '1577836801', nanos: 500_000_000 });
  t.same(order.wait, { seconds: '1', nanos: 500_000_000 });
  t.same(order.maybe, { value: 7 });
  const extra = root.lookupType('google.protobuf.Struct').toObject(root.lookupType('google.protobuf.Struct').fromObject(order.extra as object)) as { fields: Record<string, unknown> };
  t.same(Object.keys(extra.fields), ['a', 'b']);
  t.match(order.anything, { value: 'CgZwYWNrZWQ=' }, 'Any packs demo.Inner { note: "packed" }');
  t.same(order.inner_list, [{ note: 'x' }, { note: 'y' }]);
  t.same(order.counts, { k: 2 });
  t.same(order.mask, { paths: ['inner_list', 'color'] });
  t.ok(Number.isNaN(order.ratio as number));
  t.equal(order.right, 'r');
});

t.test('a value that does not fit names its field and the reason', async (t) => {
  const { type } = orderType(t);
  const cases: [unknown, RegExp][] = [
    [{ at: 'yesterday' }, /field "at": a Timestamp is an RFC 3339 string/],
    [{ wait: 90 }, /field "wait": a Duration is a string of seconds such as "1.5s"/],
    [{ big: '1e3' }, /field "big": int64 is a whole number/],
    [{ unsigned_big: -1 }, /field "unsigned_big": -1 is out of range for uint64/],
    [{ innerList: [{ note: 1 }] }, /field "innerList\[0\].note": string is a JSON string, not number 1/],
    [{ counts: { k: 'many' } }, /field "counts\["k"\]": int32 is a whole number/],
    [{ left: 'l', right: 'r' }, /field "right": "left" is already set, and both are in oneof choice/],
    [{ anything: { '@type': 'type.googleapis.com/demo.Nope' } }, /field "anything.@type": no message "demo.Nope"/],
    [{ color: 'BLUE' }, /field "color": "BLUE" is not a value of Color \(COLOR_UNSPECIFIED, RED\)/],
    [[1], /Order is a JSON object, not an array/],
  ];
  for (const [json, message] of cases) t.throws(() => encodeJson(type, json), { name: RequestDataError.name, message });
});

t.test('a reply prints in the JSON mapping it was written in, defaults left out', async (t) => {
  const { type } = orderType(t);
  const written = {
    big: '-9007199254740993',
    unsignedBig: '18446744073709551615',
    blob: 'aGVsbG8=',
    color: 'RED',
    at: '2020-01-01T00:00:01.500Z',
    wait: '-1.500s', // protojson writes 0, 3, 6 or 9 digits
    maybe: 0,
    extra: { a: [1, 'two', true, null], b: { c: 3 } },
    anything: { '@type': 'type.googleapis.com/demo.Inner', note: 'packed' },
    innerList: [{ note: 'x' }, {}],
    counts: { k: 2 },
    mask: 'innerList,color',
    ratio: 'NaN',
    right: '',
  };
  t.same(JSON.parse(decodeToJson(type, encodeJson(type, written))), written);
  t.equal(decodeToJson(type, encodeJson(type, { big: '0', color: 'COLOR_UNSPECIFIED', ratio: 0, innerList: [] })), '{}');
});
