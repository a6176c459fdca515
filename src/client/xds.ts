// xds:/// targets: the client learns endpoints, load balancing and routing from
// an xDS control plane (Traffic Director / Cloud Service Mesh) named in the
// bootstrap, instead of from DNS.
import { ConfigError, XDS_BOOTSTRAP_HINT, xdsBootstrapVariable } from '../config.js';
import { grpcJsXds } from '../xds.js';

const XDS_SCHEME = /^xds:/;

/**
 * Registers the xds: resolver (once per process) when `target` needs it; other targets do not
 * load @grpc/grpc-js-xds at all (about a second of start-up). Without a bootstrap the package
 * would only fail each call later with UNAVAILABLE, so say so now, naming the variables.
 */
export function registerXdsResolverFor(target: string): void {
  if (!XDS_SCHEME.test(target)) return;
  if (xdsBootstrapVariable() === undefined) {
    throw new ConfigError('GRPC_XDS_BOOTSTRAP', `target "${target}" needs an xDS bootstrap: ${XDS_BOOTSTRAP_HINT}`);
  }
  grpcJsXds();
}
