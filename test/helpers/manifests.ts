// Shared by the deploy tests: render kustomize directories with `kubectl kustomize` (the
// renderer `kubectl apply -k` and skaffold use) and read skaffold.yaml, so each test checks
// the manifests exactly as a deploy would see them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export { ROOT as REPO_ROOT } from './process.js';
import { ROOT as REPO_ROOT } from './process.js';

/** A rendered Kubernetes object, read loosely: the tests assert on the fields they need. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface GrpcProbe {
  grpc?: { port: number; service?: string };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
  [handler: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  readinessProbe?: GrpcProbe;
  livenessProbe?: GrpcProbe;
  startupProbe?: GrpcProbe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

/** The part of a Knative Service (serving.knative.dev/v1) the tests read. */
export interface KnativeService extends KubeObject {
  spec: {
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { containerConcurrency?: number; timeoutSeconds?: number; containers: Container[] };
    };
  };
}

let kubectl: Promise<boolean> | undefined;

/** Whether `kubectl` (with its built-in kustomize) can run here; checked once per process. */
export function kubectlAvailable(): Promise<boolean> {
  kubectl ??= run('kubectl', ['version', '--client'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
  return kubectl;
}

export const NO_KUBECTL = 'kubectl is not on PATH, so the kustomize overlays cannot be rendered here';

/** Renders the kustomization in `dir` (relative to the repository) into its objects. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', join(REPO_ROOT, dir)], {
    timeout: 30_000,
    maxBuffer: 4 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/**
 * Renders a throw-away kustomization (written to a temporary directory for test `t`) that
 * combines repository directories, as a user's own overlay would: `resources` and `components`
 * are given relative to the repository.
 */
export async function renderComposition(
  t: Test,
  composition: { resources: string[]; components?: string[] },
): Promise<KubeObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudrun-grpc-kustomize-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // kustomize refuses absolute paths, so point back into the repository relatively.
  const fromTemp = (path: string) => relative(dir, join(REPO_ROOT, path));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: composition.resources.map(fromTemp),
    components: (composition.components ?? []).map(fromTemp),
  };
  await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify(kustomization));
  return renderKustomization(relative(REPO_ROOT, dir));
}

export function knativeServices(objects: readonly KubeObject[]): KnativeService[] {
  return objects.filter(
    (o): o is KnativeService => o.apiVersion === 'serving.knative.dev/v1' && o.kind === 'Service',
  );
}

/** The value of environment variable `name` in `container`, or undefined when it is not set. */
export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

/** The container's literal environment as a map, the shape loadConfig reads. */
export function envMap(container: Container): Record<string, string> {
  return Object.fromEntries((container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
}

export interface SkaffoldProfile {
  name: string;
  manifests?: { kustomize?: { paths?: string[] } };
  deploy?: Record<string, unknown>;
  patches?: { op: string; path: string }[];
  portForward?: { resourceType: string; resourceName: string; port: number; localPort?: number }[];
}

export interface SkaffoldConfig extends Omit<SkaffoldProfile, 'name'> {
  apiVersion: string;
  kind: string;
  build: { artifacts: { image: string; docker?: { dockerfile?: string } }[] };
  profiles?: SkaffoldProfile[];
}

export function readSkaffoldConfig(): SkaffoldConfig {
  return parse(readFileSync(join(REPO_ROOT, 'skaffold.yaml'), 'utf8')) as SkaffoldConfig;
}

/** The one image skaffold builds: every manifest must name it so skaffold can swap in the pushed tag. */
export function skaffoldImage(): string {
  const artifacts = readSkaffoldConfig().build.artifacts;
  if (artifacts.length !== 1 || artifacts[0] === undefined) throw new Error('skaffold.yaml must build exactly one artifact');
  return artifacts[0].image;
}
