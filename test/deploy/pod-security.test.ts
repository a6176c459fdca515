// Every pod the manifests make (the Knative Service of each overlay, the load Jobs) against the rules
// of Pod Security's `restricted` profile (kubernetes.io/docs/concepts/security/pod-security-standards),
// so a namespace labelled pod-security.kubernetes.io/enforce=restricted admits them.
import { readdirSync } from 'node:fs';
import t from 'tap';
import { kubectlAvailable, NO_KUBECTL, REPO_ROOT, renderKustomization, type KubeObject } from '../helpers/manifests.js';

const skip = (await kubectlAvailable()) ? false : NO_KUBECTL;

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  seccompProfile?: { type?: string };
  capabilities?: { add?: string[]; drop?: string[] };
}
interface PodSpec {
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: Record<string, unknown>[];
  containers: { name: string; securityContext?: SecurityContext; ports?: { hostPort?: number }[] }[];
  initContainers?: PodSpec['containers'];
}

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** What `restricted` refuses in `pod`, one line each; empty when it admits it. */
function restrictedViolations(pod: PodSpec): string[] {
  const found: string[] = [];
  if (pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true) found.push('host namespaces');
  for (const volume of pod.volumes ?? []) {
    const kinds = Object.keys(volume).filter((key) => key !== 'name');
    if (!kinds.every((kind) => ALLOWED_VOLUMES.has(kind))) found.push(`volume ${String(volume.name)} is ${kinds.join(', ')}`);
  }
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const context = container.securityContext ?? {};
    const at = `container ${container.name}`;
    if (context.privileged === true) found.push(`${at}: privileged`);
    if (context.allowPrivilegeEscalation !== false) found.push(`${at}: allowPrivilegeEscalation is not false`);
    if ((context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) found.push(`${at}: runAsNonRoot is not true`);
    if ((context.runAsUser ?? pod.securityContext?.runAsUser) === 0) found.push(`${at}: runAsUser is 0`);
    const seccomp = context.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') found.push(`${at}: seccompProfile is not RuntimeDefault or Localhost`);
    if (!(context.capabilities?.drop ?? []).includes('ALL')) found.push(`${at}: capabilities do not drop ALL`);
    const added = (context.capabilities?.add ?? []).filter((capability) => capability !== 'NET_BIND_SERVICE');
    if (added.length > 0) found.push(`${at}: adds ${added.join(', ')}`);
    if ((container.ports ?? []).some((port) => port.hostPort !== undefined && port.hostPort !== 0)) found.push(`${at}: hostPort`);
  }
  return found;
}

const podOf = (object: KubeObject): PodSpec | undefined => (object as { spec?: { template?: { spec?: PodSpec } } }).spec?.template?.spec;

/**
 * The overlays a Kubernetes API server admits (Knative), and the load Jobs. The cloudrun* overlays go to
 * fully managed Cloud Run (`gcloud run services replace`), which has no Pod Security admission and takes
 * no securityContext: they remove it, and are left out here by that name.
 */
const RENDERED = [
  ...readdirSync(`${REPO_ROOT}/k8s/overlays`).filter((overlay) => !overlay.startsWith('cloudrun')).map((overlay) => `k8s/overlays/${overlay}`),
  'k8s/load',
  'k8s/load/distributed',
];

t.test('the restricted profile admits every pod of every Knative overlay and load Job', { skip }, async (t) => {
  t.ok(RENDERED.length >= 4, RENDERED.join(', '));
  for (const dir of RENDERED) {
    const pods = (await renderKustomization(dir)).flatMap((object) => {
      const pod = podOf(object);
      return pod === undefined ? [] : [{ name: `${dir}: ${object.kind} ${object.metadata.name}`, pod }];
    });
    t.ok(pods.length > 0, `${dir} makes pods`);
    for (const { name, pod } of pods) t.same(restrictedViolations(pod), [], name);
  }
});

t.test('the check refuses what restricted refuses', async (t) => {
  const admitted: PodSpec = {
    containers: [{ name: 'c', securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } } }],
  };
  t.same(restrictedViolations(admitted), []);
  const without = (key: keyof SecurityContext): PodSpec => ({ containers: [{ name: 'c', securityContext: { ...admitted.containers[0]!.securityContext, [key]: undefined } }] });
  t.match(restrictedViolations(without('allowPrivilegeEscalation')), ['container c: allowPrivilegeEscalation is not false']);
  t.match(restrictedViolations(without('seccompProfile')), ['container c: seccompProfile is not RuntimeDefault or Localhost']);
  t.match(restrictedViolations(without('runAsNonRoot')), ['container c: runAsNonRoot is not true']);
  t.match(restrictedViolations(without('capabilities')), ['container c: capabilities do not drop ALL']);
});
