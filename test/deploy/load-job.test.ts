// The in-cluster load Job: runs the CLI that ships in the Greeter image against the Greeter's
// cluster-local address in its own namespace, once, with a bound on how long it may take.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  NO_KUBECTL,
  REPO_ROOT,
  knativeServices,
  kubectlAvailable,
  renderKustomization,
  skaffoldImage,
  type Container,
  type KubeObject,
} from '../helpers/manifests.js';

interface Job extends KubeObject {
  spec: {
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    template: {
      metadata?: { annotations?: Record<string, string> };
      spec: { restartPolicy: string; containers: Container[] };
    };
  };
}

const skip = (await kubectlAvailable()) ? false : NO_KUBECTL;
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };

/** Seconds in a harness duration flag such as `60s` or `2m`. */
function seconds(duration: string): number {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (match === null) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
}

t.test('k8s/load renders one Job that load-tests the Greeter inside the cluster', { skip }, async (t) => {
  const objects = await renderKustomization('k8s/load');
  t.equal(objects.length, 1, 'renders exactly one object');
  const job = objects[0] as Job;
  t.equal(job.kind, 'Job');
  t.equal(job.apiVersion, 'batch/v1');

  const pod = job.spec.template.spec;
  t.equal(pod.restartPolicy, 'Never', 'a failed run is reported, not restarted');
  t.equal(job.spec.backoffLimit, 0, 'and not retried');
  t.equal(job.spec.template.metadata?.annotations?.['sidecar.istio.io/inject'], 'false', 'no Istio sidecar to keep the pod alive');

  t.equal(pod.containers.length, 1);
  const container = pod.containers[0]!;
  t.equal(container.image, skaffoldImage(), 'the image is the skaffold artifact, which ships the CLI');
  t.same(container.command, ['node', packageJson.bin['cloudrun-grpc']], 'runs the package bin with node');

  const args = container.args ?? [];
  t.equal(args[0], 'load', 'the load command');
  const greeter = knativeServices(await renderKustomization('k8s/overlays/cluster-local'))[0]!;
  t.equal(args[1], `${greeter.metadata.name}.$(POD_NAMESPACE).svc.cluster.local:80`, "the Greeter's cluster-local address");
  const namespace = container.env?.find((e) => e.name === 'POD_NAMESPACE');
  t.equal(namespace?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace', '$(POD_NAMESPACE) is the Job’s own namespace');
  t.ok(args.includes('--insecure'), 'plaintext h2c, as Knative serves cluster-local');
  t.ok(['unary', 'server', 'client', 'bidi'].includes(flag(args, '--shape') ?? ''), 'a shape the harness knows');
  t.ok(args.includes('--json'), 'a machine-readable report in the pod log');
  t.ok(Number(flag(args, '--fail-on-error-rate')) > 0, 'fails the Job when too many calls fail');

  const runSeconds = seconds(flag(args, '--duration') ?? '') + seconds(flag(args, '--warmup') ?? '0s');
  t.ok((job.spec.activeDeadlineSeconds ?? Infinity) > runSeconds, 'activeDeadlineSeconds leaves room for warm-up and duration');
});
