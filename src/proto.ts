// Loads the .proto contracts once; every module takes its definitions from here.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';
import type { ProtoGrpcType as HelloworldProto } from './generated/helloworld.js';
import type { ProtoGrpcType as InteropProto } from './generated/test.js';

/** proto/ sits beside src/ and dist/ alike, so one relative URL serves both. */
export const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));

/** Must match the flags of `npm run gen:types`, or the generated types lie. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export const GREETER_SERVICE = 'helloworld.Greeter';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';
export const INTEROP_SERVICE = 'grpc.testing.TestService';

/**
 * The Greeter and grpc.health.v1: every server and client needs them, so they are parsed at import.
 * reflection describes exactly what the server registers from these definitions.
 */
export const packageDefinition = protoLoader.loadSync(['helloworld.proto', healthProtoPath], LOADER_OPTIONS);

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as HelloworldProto & HealthProto;
export const helloworld = loaded.helloworld;
export const health = loaded.grpc.health.v1;

export interface InteropDefinitions {
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly grpcTesting: InteropProto['grpc']['testing'];
}

let interop: InteropDefinitions | undefined;

/**
 * gRPC's interop services (grpc.testing), parsed on first use: only a server with INTEROP=on and the
 * interop clients need them, and parsing them is start-up time every other server would pay.
 */
export function interopProto(): InteropDefinitions {
  if (interop === undefined) {
    const definition = protoLoader.loadSync('grpc/testing/test.proto', LOADER_OPTIONS);
    interop = { packageDefinition: definition, grpcTesting: (grpc.loadPackageDefinition(definition) as unknown as InteropProto).grpc.testing };
  }
  return interop;
}
