// The server, built in one visible place: new Server(), addService, bindAsync.
// main.ts, the tests and the benchmarks all start it through createServer, so
// what is tested is what ships.
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../config.js';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../logger.js';
import { GREETER_SERVICE, HEALTH_SERVICE, helloworld, INTEROP_SERVICE, interopProto, packageDefinition } from '../proto.js';
import { grpcJsXds } from '../xds.js';
import { AccessLog } from './access-log.js';
import { Admission } from './admission.js';
import { createAuthInterceptor, type CertificateSource } from './auth.js';
import { BUDGET_SHARE, CallBounds } from './call-bounds.js';
import { liftResetLimit, openStreams } from './call-transport.js';
import { trackCalls } from './calls.js';
import { resolveMemoryLimit } from './cgroup.js';
import { drain } from './drain.js';
import { EndedStreams } from './ended-streams.js';
import { greeterHandlers } from './greeter.js';
import { createHealth } from './health.js';
import { InFlightCalls, type InFlightCall } from './in-flight.js';
import { testServiceHandlers } from './interop/test-service.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { otlpMetricReader } from './otlp.js';
import { PrematureResets } from './premature-resets.js';
import { addReflection } from './reflection.js';
import { resolveStreamingMode, type StreamingMode } from './streaming.js';
import { serverCredentials } from './tls.js';
import { createTracing } from './tracing.js';
import { answerUnregisteredMethods } from './unregistered-methods.js';

/**
 * How long the drain's last step may spend sending the spans and metrics still waiting (both at once). With the
 * default grace (8 s) and the drain's own second, this ends within Cloud Run's 10 s between SIGTERM and SIGKILL.
 */
export const TELEMETRY_FLUSH_MS = 1000;

export interface GreeterServer {
  readonly streaming: StreamingMode;
  /** Binds and starts serving (the metrics endpoint first, if any); resolves to the port bound (useful with port 0). */
  listen(): Promise<number>;
  /** The metrics endpoint's port once listening; undefined when metrics are off. */
  metricsPort(): number | undefined;
  /** Graceful shutdown: see drain.ts. Resolves when the server has stopped. */
  drain(reason: string): Promise<void>;
  /** Stops at once, without a grace period: every connection is closed and the calls on them end. */
  close(): void;
  /** Calls in flight now (for the drain, operators and tests). */
  inFlight(): readonly InFlightCall[];
  /** HTTP/2 streams open now on the server's connections, whether or not a call is in flight on them (for tests). */
  openStreams(): number;
}

export interface ServerDependencies {
  readonly logger: Logger;
  /** Signing keys for ID-token verification (AUTH_AUDIENCE); Google's published certificates by default. */
  readonly idTokenCertificates?: CertificateSource;
  /** Metric readers beside the Prometheus endpoint (an OTLP exporter's); any turns metrics on. */
  readonly metricReaders?: readonly MetricReader[];
}

function serverOptions(config: Config, interceptors: grpc.ServerInterceptor[]): grpc.ServerOptions {
  const options: grpc.ServerOptions = {
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    interceptors,
    // One connection may hold at most this many calls: the rest of its streams wait their turn in the client.
    'grpc.max_concurrent_streams': config.maxConcurrentStreams,
    // Channelz stays on, though nothing here reads it (a tracker and four closures per call, Date.now() per
    // message each way): grpc-js 1.14 registers a connection for forceShutdown() only with channelz on, so
    // with it off close() and the end of the drain's grace would leave connections open.
  };
  // Keepalive also closes a connection that never sent the HTTP/2 preface (it cannot answer the PING), and one
  // that Node 20 would otherwise keep open for ever after the server sent it a GOAWAY.
  if (config.keepaliveTimeMs > 0) {
    options['grpc.keepalive_time_ms'] = config.keepaliveTimeMs;
    options['grpc.keepalive_timeout_ms'] = config.keepaliveTimeoutMs;
  }
  if (config.maxConnectionIdleMs > 0) options['grpc.max_connection_idle_ms'] = config.maxConnectionIdleMs;
  if (config.maxConnectionAgeMs > 0) {
    options['grpc.max_connection_age_ms'] = config.maxConnectionAgeMs;
    options['grpc.max_connection_age_grace_ms'] = config.maxConnectionAgeGraceMs;
  }
  return options;
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

export function createServer(config: Config, { logger, idTokenCertificates, metricReaders: given = [] }: ServerDependencies): GreeterServer {
  const streaming = resolveStreamingMode(config);
  const inFlight = new InFlightCalls();
  const health = createHealth();
  // grpc-js puts the first interceptor nearest the wire: call tracking goes first so that the access
  // line also covers the calls the auth check ends before their handler.
  const admission = new Admission(config.maxConcurrentCalls, config.maxHealthWatches);
  const memoryLimit = resolveMemoryLimit(config.memoryLimit);
  const bounds = new CallBounds(() => inFlight.list(), {
    requestTimeoutMs: config.requestTimeoutMs,
    budgetBytes: Math.floor(memoryLimit * BUDGET_SHARE),
    logger,
  });
  // With OTEL_EXPORTER_OTLP_ENDPOINT (or …_METRICS_ENDPOINT), metrics are pushed over OTLP too.
  const otlp = otlpMetricReader(config, logger);
  const metricReaders = otlp === undefined ? given : [...given, otlp];
  const metrics: ServerMetrics | undefined =
    config.metricsPort === undefined && metricReaders.length === 0
      ? undefined
      : createMetrics({ port: config.metricsPort, host: config.host, readers: metricReaders, logger }, {
          inFlight: () => inFlight.size,
          shed: () => ({ calls: admission.shedCalls, watches: admission.shedWatches }),
          ended: () => ({ requestTimeout: bounds.endedByTimeout, memoryBudget: bounds.endedByMemory }),
          serving: () => health.status() === 'SERVING',
        });
  const tracing = createTracing(config, logger);
  const interceptors = [
    trackCalls({
      admission,
      inFlight,
      accessLog: new AccessLog(logger, config.project),
      bounds,
      endedStreams: new EndedStreams(),
      prematureResets: new PrematureResets(logger),
      tracing,
      metrics: metrics?.calls,
    }),
  ];
  if (config.auth !== undefined) interceptors.push(createAuthInterceptor(config.auth, idTokenCertificates));

  // XdsServer is a grpc.Server whose ports serve only once the control plane has sent their Listener
  // (loadConfig has checked that the xDS bootstrap suits a server). Its own drain grace (10 min)
  // outlasts SHUTDOWN_GRACE_MS, so drain.ts still decides when calls end.
  const options = serverOptions(config, interceptors);
  const server = config.xdsServer ? new (grpcJsXds().XdsServer)(options) : new grpc.Server(options);
  // A proxy's connection carries its callers' cancels: premature-resets.ts guards against floods instead.
  if (!liftResetLimit(server)) {
    logger.info(
      { node: process.version },
      `Node ${process.version} cannot lift nghttp2's rapid-reset limit (Node 22.10 and later can): a connection whose client ` +
        'resets more than 1,000 streams, then 33 a second (a proxy forwarding its callers\' cancels), is closed by Node',
    );
  }
  answerUnregisteredMethods(server);
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
  let metricsPort: number | undefined;
  return {
    streaming,
    async listen() {
      metricsPort = await metrics?.listen();
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
      bounds.start();
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
          memory_limit_mib: Math.round(memoryLimit / 2 ** 20),
        },
        `Greeter listening on port ${port}${tls ? ' (TLS)' : ''}; streaming ${streaming.enabled ? 'on' : 'off'} ` +
          `(${streaming.reason}); ${auth === undefined ? 'no token verification' : `ID tokens verified for ${auth}`}`,
      );
      return port;
    },
    drain(reason) {
      draining ??= drain({ server, health, inFlight, graceMs: config.shutdownGraceMs, logger }, reason)
        .finally(() => bounds.stop())
        // The calls have ended, so their spans and metrics too: send what waits, and close the metrics endpoint,
        // before the platform stops the instance.
        .then(() => Promise.all([tracing?.shutdown(TELEMETRY_FLUSH_MS), metrics?.shutdown(TELEMETRY_FLUSH_MS)]))
        .then(() => undefined);
      return draining;
    },
    metricsPort: () => metricsPort,
    close: () => {
      bounds.stop();
      void tracing?.shutdown(0);
      server.forceShutdown();
      void metrics?.shutdown(0);
    },
    inFlight: () => inFlight.list(),
    openStreams: () => openStreams(server),
  };
}
