// @grpc/grpc-js-xds, loaded and registered on first use. The package compiles
// the envoy protos when it loads, a start-up cost that plain dns:/// clients and
// non-xDS servers should not pay; it is CommonJS, so a synchronous require keeps
// connect() and createServer() synchronous. register() adds the xds: resolver,
// and the xDS load balancers and HTTP filters that XdsServer needs as well.
import { createRequire } from 'node:module';
import type * as GrpcJsXds from '@grpc/grpc-js-xds';

let loaded: typeof GrpcJsXds | undefined;

export function grpcJsXds(): typeof GrpcJsXds {
  if (loaded === undefined) {
    loaded = createRequire(import.meta.url)('@grpc/grpc-js-xds') as typeof GrpcJsXds;
    loaded.register();
  }
  return loaded;
}
