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
 * The Greeter, grpc.health.v1 and gRPC's interop services (grpc.testing), so
 * reflection can describe every service the server registers.
 */
export const packageDefinition = protoLoader.loadSync(
  ['helloworld.proto', healthProtoPath, 'grpc/testing/test.proto'],
  LOADER_OPTIONS,
);

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as HelloworldProto & HealthProto & InteropProto;
export const helloworld = loaded.helloworld;
export const health = loaded.grpc.health.v1;
export const grpcTesting = loaded.grpc.testing;
