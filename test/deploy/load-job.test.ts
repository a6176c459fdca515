// The in-cluster load Job: runs the CLI that ships in the Greeter image against the Greeter's
// cluster-local address in its own namespace, once, with a bound on how long it may take.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseLoadArgs } from '../../src/cli/load.js';
import { splitPlan } from '../../src/load/workers.js';
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

interface IndexedJob extends Job {
  spec: Job['spec'] & { completionMode?: string; completions?: number; parallelism?: number; backoffLimitPerIndex?: number };
}

t.test('k8s/load/distributed renders an Indexed Job whose pods each run one shard of one plan', { skip }, async (t) => {
  const objects = await renderKustomization('k8s/load/distributed');
  t.equal(objects.length, 1, 'renders exactly one object');
  const job = objects[0] as IndexedJob;
  t.match(job, { apiVersion: 'batch/v1', kind: 'Job' });
  t.equal(job.spec.completionMode, 'Indexed', 'each pod gets its index (JOB_COMPLETION_INDEX)');
  const shards = job.spec.completions ?? 0;
  t.ok(shards > 1, `${shards} shards`);
  t.equal(job.spec.parallelism, shards, 'every shard runs at once');
  t.equal(job.spec.backoffLimitPerIndex, 0, 'a shard is never retried (measured twice)');
  t.equal(job.spec.backoffLimit, undefined, 'and one failed shard does not end the others');

  const pod = job.spec.template.spec;
  t.equal(pod.restartPolicy, 'Never');
  t.equal(job.spec.template.metadata?.annotations?.['sidecar.istio.io/inject'], 'false', 'no Istio sidecar to keep the pods alive');
  const container = pod.containers[0]!;
  t.equal(container.image, skaffoldImage());
  t.same(container.command, ['node', packageJson.bin['cloudrun-grpc']]);
  const index = container.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX');
  t.equal(index?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']", 'the pod’s index, for $(JOB_COMPLETION_INDEX)');
  const args = container.args ?? [];
  t.equal(flag(args, '--shard'), `$(JOB_COMPLETION_INDEX)/${shards}`, '--shard INDEX/N with N the number of completions');
  t.ok(args.includes('--json'), "each pod's log is its JSON report, for `load merge`");
  const runSeconds = seconds(flag(args, '--duration') ?? '') + seconds(flag(args, '--warmup') ?? '0s');
  t.ok((job.spec.activeDeadlineSeconds ?? Infinity) > runSeconds, 'activeDeadlineSeconds leaves room for warm-up and duration');

  // Every pod's arguments, as Kubernetes expands them, are a valid plan: shard i of N, the whole plan's
  // numbers, and every thread of every shard with a connection of its own.
  const parts = [];
  for (let i = 0; i < shards; i++) {
    const expanded = args.slice(1).map((arg) => arg.replace('$(POD_NAMESPACE)', 'ns').replace('$(JOB_COMPLETION_INDEX)', String(i)));
    const parsed = parseLoadArgs(expanded, {});
    if (parsed === 'help') return t.fail('help');
    t.same(parsed.plan.shard, { index: i, of: shards }, `pod ${i} runs shard ${i}/${shards}`);
    t.equal(parsed.output.format, 'json');
    parts.push(...splitPlan(parsed.plan));
  }
  const plan = (parseLoadArgs(args.slice(1).map((arg) => arg.replace('$(JOB_COMPLETION_INDEX)', '0')), {}) as { plan: { concurrency: number; connections: number } }).plan;
  t.equal(parts.reduce((n, p) => n + p.plan.concurrency, 0), plan.concurrency, 'the shards’ concurrency adds up to the plan’s');
  t.equal(parts.reduce((n, p) => n + p.plan.connections, 0), plan.connections, 'and their connections');
  t.ok(parts.every((p) => p.plan.connections >= 1));
  t.same(parts.map((p) => p.share.index), parts.map((_, i) => i), 'the threads of all shards interleave one schedule');
});
