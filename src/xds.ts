// @grpc/grpc-js-xds, loaded and registered on first use. The package compiles
// the envoy protos when it loads, a start-up cost that plain dns:/// clients and
// non-xDS servers should not pay; it is CommonJS, so a synchronous require keeps
// connect() and createServer() synchronous. register() adds the xds: resolver,
// and the xDS load balancers and HTTP filters that XdsServer needs as well.
import { createRequire } from 'node:module';
import type * as GrpcJsXds from '@grpc/grpc-js-xds';

const require = createRequire(import.meta.url);
let loaded: typeof GrpcJsXds | undefined;

export function grpcJsXds(): typeof GrpcJsXds {
  if (loaded === undefined) {
    loaded = require('@grpc/grpc-js-xds') as typeof GrpcJsXds;
    loaded.register();
  }
  return loaded;
}

interface BootstrapModule {
  validateBootstrapConfig(bootstrap: unknown): { serverListenerResourceNameTemplate: string | null };
}

/**
 * Throws, saying why, unless XdsServer can use `bootstrap` (parsed JSON). The package's own validator
 * (not exported from its index, so required by path) is the one XdsServer runs, so the meaning is gRPC's;
 * loading it alone skips the envoy protos.
 */
export function checkXdsServerBootstrap(bootstrap: unknown): void {
  const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap') as BootstrapModule;
  if (typeof bootstrap !== 'object' || bootstrap === null) throw new Error('not a JSON object');
  // The validator would fail on this with a TypeError that names nothing.
  if (!Array.isArray((bootstrap as { xds_servers?: unknown }).xds_servers)) throw new Error('xds_servers: expected an array');
  if (validateBootstrapConfig(bootstrap).serverListenerResourceNameTemplate === null) {
    throw new Error('a server needs a listener name template, and this bootstrap has no server_listener_resource_name_template');
  }
}
