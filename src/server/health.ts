// grpc.health.v1 for the whole server ("") and for the Greeter, as Kubernetes
// gRPC probes and load balancers ask for them.
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { GREETER_SERVICE } from '../proto.js';

export const HEALTH_SERVICES = ['', GREETER_SERVICE] as const;

export interface Health {
  readonly implementation: HealthImplementation;
  set(status: ServingStatus): void;
  /** What the server reports now (the same for every service). */
  status(): ServingStatus;
}

export function createHealth(): Health {
  const implementation = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING'])));
  let current: ServingStatus = 'NOT_SERVING';
  return {
    implementation,
    set: (status) => {
      current = status;
      HEALTH_SERVICES.forEach((service) => implementation.setStatus(service, status));
    },
    status: () => current,
  };
}
