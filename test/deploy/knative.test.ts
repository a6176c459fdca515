// Every overlay renders, every Knative Service in it validates against the Knative schema, and
// the rendered Service agrees with the server it runs: port, health services, STREAMING,
// configuration values, shutdown window, and the image skaffold builds.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Service } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import t, { type Test } from 'tap';
import { DEFAULT_PORT, loadConfig } from '../../src/config.js';
import { HEALTH_SERVICES } from '../../src/server/health.js';
import {
  NO_KUBECTL,
  REPO_ROOT,
  envMap,
  envValue,
  knativeServices,
  kubectlAvailable,
  renderComposition,
  renderKustomization,
  skaffoldImage,
  type GrpcProbe,
  type KnativeService,
} from '../helpers/manifests.js';

type Platform = 'knative' | 'cloudrun';

type PortName = 'h2c' | 'http1';

/** What each overlay promises; a new overlay directory must be added here to be deployable. */
const OVERLAYS: Record<string, { platform: Platform; port: PortName; streaming: 'on' | 'off'; visibility?: string }> = {
  anthos: { platform: 'knative', port: 'h2c', streaming: 'on' },
  'cluster-local': { platform: 'knative', port: 'h2c', streaming: 'on', visibility: 'cluster-local' },
  cloudrun: { platform: 'cloudrun', port: 'http1', streaming: 'off' },
  'cloudrun-streaming': { platform: 'cloudrun', port: 'h2c', streaming: 'on' },
};

/**
 * The container port name that belongs with STREAMING on each platform. Knative speaks HTTP/2 to
 * the container only on a port named h2c, which every gRPC call needs. Managed Cloud Run downgrades
 * requests to HTTP/1 except native gRPC, so unary calls work on http1; the streaming shapes need
 * HTTP/2 end-to-end, which h2c turns on (`--use-http2`).
 */
function portNameFor(platform: Platform, streaming: string | undefined): PortName {
  return platform === 'cloudrun' && streaming !== 'on' ? 'http1' : 'h2c';
}

/** The longest request timeout each platform accepts (Knative's default max-revision-timeout-seconds; Cloud Run's limit). */
const MAX_TIMEOUT_SECONDS: Record<Platform, number> = { knative: 600, cloudrun: 3600 };

/** Variables the Knative webhook rejects in a serving container: the platform sets them. */
const KNATIVE_RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION'];

/** Cloud Run and Knative send SIGTERM and kill the instance 10 s later. */
const SHUTDOWN_WINDOW_MS = 10_000;
/** drain.ts flushes the final UNAVAILABLE statuses for this long after the grace period. */
const DRAIN_FLUSH_MS = 1000;

const skip = (await kubectlAvailable()) ? false : NO_KUBECTL;

function probesOf(service: KnativeService): [string, GrpcProbe][] {
  const container = service.spec.template.spec.containers[0]!;
  return (['readinessProbe', 'livenessProbe', 'startupProbe'] as const).flatMap((kind) => {
    const probe = container[kind];
    return probe === undefined ? [] : [[kind, probe] as [string, GrpcProbe]];
  });
}

/** Assertions every Greeter Knative Service must pass, whatever the platform. */
function checkGreeterService(t: Test, service: KnativeService, platform: Platform): void {
  t.doesNotThrow(() => new Service(service as never).validate(), 'validates against the Knative Service schema');

  const containers = service.spec.template.spec.containers;
  t.equal(containers.length, 1, 'one serving container');
  const container = containers[0]!;
  const streaming = envValue(container, 'STREAMING');
  t.same(
    container.ports,
    [{ name: portNameFor(platform, streaming), containerPort: DEFAULT_PORT }],
    `one port, at the server default PORT, named as STREAMING=${streaming} needs on ${platform}`,
  );
  t.equal(container.image, skaffoldImage(), 'the image is the skaffold artifact');

  t.doesNotThrow(() => loadConfig(envMap(container)), 'loadConfig accepts every environment value');
  const reserved = (container.env ?? []).map((e) => e.name).filter((name) => KNATIVE_RESERVED_ENV.includes(name));
  t.same(reserved, [], 'sets none of the variables the platform reserves (PORT is set from the container port)');
  const { shutdownGraceMs } = loadConfig(envMap(container));
  t.ok(shutdownGraceMs + DRAIN_FLUSH_MS < SHUTDOWN_WINDOW_MS, 'the drain finishes inside the 10 s shutdown window');

  const probes = probesOf(service);
  t.ok(probes.length >= 2, 'has a traffic-gating probe and a liveness probe');
  for (const [kind, probe] of probes) {
    t.equal(probe.grpc?.port, DEFAULT_PORT, `${kind} uses gRPC health on the serving port`);
    t.ok((HEALTH_SERVICES as readonly string[]).includes(probe.grpc?.service ?? ''), `${kind} asks for a service the server registers`);
    const handlers = Object.keys(probe).filter((key) => ['grpc', 'httpGet', 'tcpSocket', 'exec'].includes(key));
    t.same(handlers, ['grpc'], `${kind} has exactly one handler`);
    if (probe.timeoutSeconds !== undefined && probe.periodSeconds !== undefined) {
      t.ok(probe.timeoutSeconds <= probe.periodSeconds, `${kind} times out within its period`);
    }
  }

  const { timeoutSeconds = 300, containerConcurrency = 0 } = service.spec.template.spec;
  t.ok(timeoutSeconds >= 1 && timeoutSeconds <= MAX_TIMEOUT_SECONDS[platform], `timeoutSeconds ${timeoutSeconds} is within the platform limit`);
  t.ok(containerConcurrency >= 1 && containerConcurrency <= 1000, 'containerConcurrency is set and within 1..1000');
  t.ok(container.resources?.limits?.cpu && container.resources.limits.memory, 'CPU and memory limits are set');
}

function checkKnativeOnly(t: Test, service: KnativeService): void {
  const container = service.spec.template.spec.containers[0]!;
  const readiness = container.readinessProbe;
  t.ok(readiness?.grpc, 'a gRPC readiness probe gates traffic (Knative queue-proxy runs it)');
  if (readiness?.periodSeconds === undefined || readiness.periodSeconds === 0) {
    // Knative's webhook: aggressive probing (period 0) forbids these two.
    t.equal(readiness?.timeoutSeconds, undefined, 'no timeoutSeconds with Knative aggressive probing');
    t.equal(readiness?.failureThreshold, undefined, 'no failureThreshold with Knative aggressive probing');
  }
  t.ok(container.resources?.requests?.cpu && container.resources.requests.memory, 'requests are set for scheduling');
  t.equal(container.securityContext?.runAsNonRoot, true, 'runs as non-root');
}

function checkCloudRunOnly(t: Test, service: KnativeService): void {
  const container = service.spec.template.spec.containers[0]!;
  t.equal(container.readinessProbe, undefined, 'no readiness probe (preview only on Cloud Run)');
  t.ok(container.startupProbe?.grpc, 'a gRPC startup probe gates traffic');
  t.equal(container.resources?.requests, undefined, 'no resource requests (Cloud Run sizes by limits)');
  const labels = Object.keys(service.metadata.labels ?? {});
  t.same(labels.filter((key) => /[./]/.test(key)), [], 'no Kubernetes-style label keys (Google Cloud labels reject them)');
  const annotations = Object.keys(service.spec.template.metadata?.annotations ?? {});
  t.same(
    annotations.filter((key) => !key.startsWith('run.googleapis.com/') && !/^autoscaling\.knative\.dev\/(minScale|maxScale)$/.test(key)),
    [],
    'only the revision annotations Cloud Run documents',
  );
}

t.test('every overlay directory has its expectations listed here', async (t) => {
  const directories = readdirSync(join(REPO_ROOT, 'k8s/overlays'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  t.same(directories, Object.keys(OVERLAYS).sort());
});

for (const [overlay, expected] of Object.entries(OVERLAYS)) {
  t.test(`overlay ${overlay} renders one valid Greeter Service`, { skip }, async (t) => {
    const objects = await renderKustomization(`k8s/overlays/${overlay}`);
    const services = knativeServices(objects);
    t.equal(objects.length, 1, 'renders exactly one object');
    t.equal(services.length, 1, 'which is a Knative Service');
    const service = services[0]!;
    t.equal(service.metadata.name, 'greeter');
    checkGreeterService(t, service, expected.platform);
    if (expected.platform === 'knative') checkKnativeOnly(t, service);
    else checkCloudRunOnly(t, service);

    const container = service.spec.template.spec.containers[0]!;
    t.equal(envValue(container, 'STREAMING'), expected.streaming, `STREAMING=${expected.streaming}`);
    t.equal(container.ports?.[0]?.name, expected.port, `the port is named ${expected.port}`);
    t.equal(service.metadata.labels?.['networking.knative.dev/visibility'], expected.visibility, 'visibility');
  });
}

t.test('the base renders and validates on its own', { skip }, async (t) => {
  const services = knativeServices(await renderKustomization('k8s/base'));
  t.equal(services.length, 1);
  checkGreeterService(t, services[0]!, 'knative');
  t.equal(envValue(services[0]!.spec.template.spec.containers[0]!, 'STREAMING'), 'on', 'STREAMING is set explicitly');
});

t.test('the id-token-auth component adds AUTH_AUDIENCE and AUTH_ALLOWED_EMAILS to an overlay', { skip }, async (t) => {
  for (const overlay of ['anthos', 'cloudrun']) {
    const objects = await renderComposition(t, {
      resources: [`k8s/overlays/${overlay}`],
      components: ['k8s/components/id-token-auth'],
    });
    const service = knativeServices(objects)[0]!;
    checkGreeterService(t, service, OVERLAYS[overlay]!.platform);
    const container = service.spec.template.spec.containers[0]!;
    t.match(envValue(container, 'AUTH_AUDIENCE'), /^https:\/\//, `${overlay}: AUTH_AUDIENCE is a URL`);
    t.match(envValue(container, 'AUTH_ALLOWED_EMAILS'), /@/, `${overlay}: AUTH_ALLOWED_EMAILS lists emails`);
    t.equal(envValue(container, 'STREAMING'), OVERLAYS[overlay]!.streaming, `${overlay}: the overlay's own settings survive`);
  }
});

t.test('the otel-collector component adds the collector sidecar and points the server at it', { skip }, async (t) => {
  for (const overlay of ['cloudrun', 'cloudrun-streaming']) {
    const objects = await renderComposition(t, { resources: [`k8s/overlays/${overlay}`], components: ['k8s/components/otel-collector'] });
    const service = knativeServices(objects)[0]!;
    // Two containers, so not checkGreeterService (one serving container): the schema, and which one serves.
    t.doesNotThrow(() => new Service(service as never).validate(), `${overlay}: validates against the Knative Service schema`);
    const [server, collector] = service.spec.template.spec.containers;
    t.equal(server?.name, 'greeter', 'the server stays the first container, the one with the port');
    t.equal(collector?.ports, undefined, 'the sidecar takes no traffic');
    t.equal(envValue(server!, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://localhost:4318', `${overlay}: the server exports to the sidecar`);
    t.equal(collector?.name, 'collector');
    t.match(collector?.image, /otelcol-google/);
    const annotations = service.spec.template.metadata?.annotations ?? {};
    t.same(JSON.parse(annotations['run.googleapis.com/container-dependencies'] ?? '{}'), { greeter: ['collector'] }, 'the collector starts first');
    t.equal(annotations['run.googleapis.com/cpu-throttling'], 'false', 'CPU between requests, for the batches');
    t.equal(envValue(server!, 'STREAMING'), OVERLAYS[overlay]!.streaming, `${overlay}: the overlay's own settings survive`);
  }
});

t.test('the prometheus-metrics component turns METRICS_PORT on and has Managed Prometheus scrape that port', { skip }, async (t) => {
  const objects = await renderComposition(t, { resources: ['k8s/overlays/anthos'], components: ['k8s/components/prometheus-metrics'] });
  const service = knativeServices(objects)[0]!;
  checkGreeterService(t, service, 'knative');
  const config = loadConfig(envMap(service.spec.template.spec.containers[0]!));
  t.not(config.metricsPort, undefined, 'metrics are on');
  t.not(config.metricsPort, DEFAULT_PORT, 'on a port Knative does not route');
  const monitoring = objects.find((o) => o.kind === 'PodMonitoring') as unknown as {
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: number; path: string }[] };
  };
  t.same(monitoring.spec.endpoints.map((e) => [e.port, e.path]), [[config.metricsPort, '/metrics']]);
  t.same(monitoring.spec.selector.matchLabels, { 'serving.knative.dev/service': service.metadata!.name });
  t.equal(service.spec.template.metadata?.annotations?.['prometheus.io/port'], String(config.metricsPort));
});
