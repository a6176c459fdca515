// The server, built in one visible place: new Server(), addService, bindAsync.
// main.ts, the tests and the benchmarks all start it through createServer, so
// what is tested is what ships.
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { ConfigError, xdsBootstrapVariable, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { helloworld, packageDefinition } from '../proto.js';
import { grpcJsXds } from '../xds.js';
import { CallRegistry, type InFlightCall } from './calls.js';
import { drain } from './drain.js';
import { greeterHandlers } from './greeter.js';
import { createHealth } from './health.js';
import { resolveStreamingMode, type StreamingMode } from './streaming.js';

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
}

function serverOptions(config: Config, calls: CallRegistry): grpc.ServerOptions {
  const options: grpc.ServerOptions = {
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    interceptors: [calls.interceptor],
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

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

export function createServer(config: Config, { logger }: ServerDependencies): GreeterServer {
  const streaming = resolveStreamingMode(config);
  const calls = new CallRegistry(logger, config.project);
  const health = createHealth();

  // XdsServer is a grpc.Server whose ports serve only once the control plane has sent their Listener.
  // Its own drain grace (10 min) outlasts SHUTDOWN_GRACE_MS, so drain.ts still decides when calls end.
  const options = serverOptions(config, calls);
  const server = config.xdsServer ? createXdsServer(options) : new grpc.Server(options);
  server.addService(helloworld.Greeter.service, greeterHandlers(streaming.enabled));
  health.implementation.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);

  let draining: Promise<void> | undefined;
  return {
    grpcServer: server,
    streaming,
    async listen() {
      if (config.xdsServer) logger.info({ port: config.port }, `waiting for the xDS control plane to send the Listener for port ${config.port}`);
      let port: number;
      if (config.host !== undefined) {
        port = await bind(server, `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`);
      } else {
        // Every interface: [::] is dual-stack where IPv6 exists; fall back to IPv4 alone where it does not.
        port = await bind(server, `[::]:${config.port}`).catch(() => bind(server, `0.0.0.0:${config.port}`));
      }
      health.set('SERVING');
      logger.info(
        { port, host: config.host ?? '*', streaming: streaming.enabled, streaming_reason: streaming.reason },
        `Greeter listening on port ${port}; streaming ${streaming.enabled ? 'on' : 'off'} (${streaming.reason})`,
      );
      return port;
    },
    drain(reason) {
      draining ??= drain({ server, health, calls, graceMs: config.shutdownGraceMs, logger }, reason);
      return draining;
    },
    inFlight: () => [...calls.inFlight],
  };
}
