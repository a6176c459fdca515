// The server, built in one visible place: new Server(), addService, bindAsync.
// main.ts, the tests and the benchmarks all start it through createServer, so
// what is tested is what ships.
import * as grpc from '@grpc/grpc-js';
import { ConfigError, xdsBootstrapVariable, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { GREETER_SERVICE, HEALTH_SERVICE, helloworld, INTEROP_SERVICE, interopProto, packageDefinition } from '../proto.js';
import { grpcJsXds } from '../xds.js';
import { createAuthInterceptor, type CertificateSource } from './auth.js';
import { CallRegistry, type InFlightCall } from './calls.js';
import { drain } from './drain.js';
import { greeterHandlers } from './greeter.js';
import { createHealth } from './health.js';
import { testServiceHandlers } from './interop/test-service.js';
import { addReflection } from './reflection.js';
import { resolveStreamingMode, type StreamingMode } from './streaming.js';
import { serverCredentials } from './tls.js';

export interface GreeterServer {
  readonly grpcServer: grpc.Server;
  readonly streaming: StreamingMode;
  /** Binds and starts serving; resolves to the port bound (useful with port 0). */
  listen(): Promise<number>;
  /** Graceful shutdown: see drain.ts. Resolves when the server has stopped. */
  drain(reason: string): Promise<void>;
  /** Calls in flight now (for the drain, operators and tests). */
  inFlight(): readonly InFlightCall[];
}

export interface ServerDependencies {
  readonly logger: Logger;
  /** Signing keys for ID-token verification (AUTH_AUDIENCE); Google's published certificates by default. */
  readonly idTokenCertificates?: CertificateSource;
}

function serverOptions(config: Config, calls: CallRegistry, interceptors: grpc.ServerInterceptor[]): grpc.ServerOptions {
  const options: grpc.ServerOptions = {
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    // grpc-js puts the first interceptor nearest the wire: the access log goes first so that
    // it also sees (and logs) the calls the auth check ends before their handler.
    interceptors: [calls.interceptor, ...interceptors],
  };
  if (config.keepaliveTimeMs > 0) {
    options['grpc.keepalive_time_ms'] = config.keepaliveTimeMs;
    options['grpc.keepalive_timeout_ms'] = config.keepaliveTimeoutMs;
  }
  if (config.maxConnectionAgeMs > 0) {
    options['grpc.max_connection_age_ms'] = config.maxConnectionAgeMs;
    options['grpc.max_connection_age_grace_ms'] = config.maxConnectionAgeGraceMs;
  }
  return options;
}

/**
 * XdsServer reads and checks the xDS bootstrap as it is built (it throws, for one, when the bootstrap has no
 * server_listener_resource_name_template); that is a configuration problem, so say so, naming the variable.
 */
function createXdsServer(options: grpc.ServerOptions): grpc.Server {
  try {
    return new (grpcJsXds().XdsServer)(options);
  } catch (error) {
    const variable = xdsBootstrapVariable() ?? 'GRPC_XDS_BOOTSTRAP';
    throw new ConfigError(variable, `XDS_SERVER=on cannot use this xDS bootstrap: ${(error as Error).message}`);
  }
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

export function createServer(config: Config, { logger, idTokenCertificates }: ServerDependencies): GreeterServer {
  const streaming = resolveStreamingMode(config);
  const calls = new CallRegistry(logger, config.project, config.maxConcurrentCalls);
  const health = createHealth();
  const interceptors = config.auth === undefined ? [] : [createAuthInterceptor(config.auth, idTokenCertificates)];

  // XdsServer is a grpc.Server whose ports serve only once the control plane has sent their Listener.
  // Its own drain grace (10 min) outlasts SHUTDOWN_GRACE_MS, so drain.ts still decides when calls end.
  const options = serverOptions(config, calls, interceptors);
  const server = config.xdsServer ? createXdsServer(options) : new grpc.Server(options);
  server.addService(helloworld.Greeter.service, greeterHandlers(streaming.enabled));
  health.implementation.addToServer(server);
  // Reflection describes exactly the services registered. With INTEROP=on, gRPC's interop
  // TestService on the same port; grpc.testing.UnimplementedService is deliberately left out,
  // so that grpc-js answers it with UNIMPLEMENTED.
  let described = packageDefinition;
  const served = [GREETER_SERVICE, HEALTH_SERVICE];
  if (config.interop) {
    const interop = interopProto();
    server.addService(interop.grpcTesting.TestService.service, testServiceHandlers(streaming.enabled));
    described = { ...packageDefinition, ...interop.packageDefinition };
    served.push(INTEROP_SERVICE);
  }
  addReflection(server, described, served);

  let draining: Promise<void> | undefined;
  return {
    grpcServer: server,
    streaming,
    async listen() {
      if (config.xdsServer) logger.info({ port: config.port }, `waiting for the xDS control plane to send the Listener for port ${config.port}`);
      const credentials = serverCredentials(config.tls);
      let port: number;
      if (config.host !== undefined) {
        port = await bind(server, `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`, credentials);
      } else {
        // Every interface: [::] is dual-stack where IPv6 exists; fall back to IPv4 alone where it does not.
        port = await bind(server, `[::]:${config.port}`, credentials).catch(() =>
          bind(server, `0.0.0.0:${config.port}`, credentials),
        );
      }
      health.set('SERVING');
      const tls = config.tls !== undefined;
      const auth = config.auth?.audiences.join(', ');
      logger.info(
        {
          port,
          host: config.host ?? '*',
          streaming: streaming.enabled,
          streaming_reason: streaming.reason,
          interop: config.interop,
          tls,
          auth_audience: auth,
        },
        `Greeter listening on port ${port}${tls ? ' (TLS)' : ''}; streaming ${streaming.enabled ? 'on' : 'off'} ` +
          `(${streaming.reason}); ${auth === undefined ? 'no token verification' : `ID tokens verified for ${auth}`}`,
      );
      return port;
    },
    drain(reason) {
      draining ??= drain({ server, health, calls, graceMs: config.shutdownGraceMs, logger }, reason);
      return draining;
    },
    inFlight: () => calls.calls(),
  };
}
