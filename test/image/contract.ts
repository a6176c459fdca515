// What a rendered overlay promises about the container: its environment, port, probes, user,
// filesystem, capabilities and limits, as `run` flags. The image test runs the image under it.
import type { Container, GrpcProbe } from '../helpers/manifests.js';
import { NO_KUBECTL, envMap, knativeServices, kubectlAvailable, renderKustomization } from '../helpers/manifests.js';
import type { Engine } from './engine.js';

export interface Probe {
  readonly kind: 'readinessProbe' | 'livenessProbe' | 'startupProbe';
  readonly port: number;
  readonly service: string;
}

export interface Contract {
  readonly overlay: string;
  readonly containerPort: number;
  /** The container's literal env, plus what Knative and Cloud Run set in every revision (K_*). */
  readonly env: Record<string, string>;
  readonly probes: readonly Probe[];
  readonly runAsNonRoot: boolean;
  readonly readOnlyRootFilesystem: boolean;
  readonly dropCapabilities: readonly string[];
  /** Limits in Kubernetes quantities ("512Mi", "1"). */
  readonly memoryLimit?: string;
  readonly cpuLimit?: string;
}

/** The variables Knative and Cloud Run set in a revision besides PORT (which comes from the container port). */
const PLATFORM_ENV = { K_SERVICE: 'greeter', K_CONFIGURATION: 'greeter', K_REVISION: 'greeter-00001' };

export async function readContract(overlay: string): Promise<Contract> {
  if (!(await kubectlAvailable())) throw new Error(`${NO_KUBECTL}: install kubectl to read the contract the image runs under`);
  const [service] = knativeServices(await renderKustomization(`k8s/overlays/${overlay}`));
  const container: Container | undefined = service?.spec.template.spec.containers[0];
  const port = container?.ports?.[0]?.containerPort;
  if (container === undefined || port === undefined) throw new Error(`k8s/overlays/${overlay} renders no Knative Service with a container port`);
  const probes = (['readinessProbe', 'livenessProbe', 'startupProbe'] as const).flatMap((kind) => {
    const probe: GrpcProbe | undefined = container[kind];
    return probe?.grpc === undefined ? [] : [{ kind, port: probe.grpc.port, service: probe.grpc.service ?? '' }];
  });
  const security = (container.securityContext ?? {}) as { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  return {
    overlay,
    containerPort: port,
    env: { ...envMap(container), ...PLATFORM_ENV },
    probes,
    runAsNonRoot: security.runAsNonRoot === true,
    readOnlyRootFilesystem: security.readOnlyRootFilesystem === true,
    dropCapabilities: security.capabilities?.drop ?? [],
    memoryLimit: container.resources?.limits?.memory,
    cpuLimit: container.resources?.limits?.cpu,
  };
}

const BINARY_UNITS = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 } as const;

/** A Kubernetes memory quantity in bytes ("512Mi" → 536870912), as `--memory` takes it and the cgroup shows it. */
export function memoryBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (match === null) throw new Error(`memory limit "${quantity}" is not a quantity this test converts (Ki, Mi, Gi or bytes)`);
  return Number(match[1]) * (match[2] === undefined ? 1 : BINARY_UNITS[match[2] as keyof typeof BINARY_UNITS]);
}

/** A Kubernetes CPU quantity as `--cpus` takes it ("1" → "1", "500m" → "0.5"). */
function cpuFlag(quantity: string): string {
  return quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}

/** `run` flags for the contract's securityContext (runAsNonRoot is checked against the image, not set). */
export function securityArgs(engine: Engine, contract: Contract): string[] {
  return [
    ...(contract.readOnlyRootFilesystem ? engine.readOnlyArgs : []),
    ...contract.dropCapabilities.map((capability) => `--cap-drop=${capability}`),
  ];
}

/** `run` flags for the contract's limits. */
export function limitArgs(contract: Contract): string[] {
  return [
    ...(contract.memoryLimit === undefined ? [] : [`--memory=${memoryBytes(contract.memoryLimit)}`]),
    ...(contract.cpuLimit === undefined ? [] : [`--cpus=${cpuFlag(contract.cpuLimit)}`]),
  ];
}
