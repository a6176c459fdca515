// The library, as `import { connect, greeterClient } from 'cloudrun-grpc'` gives it: the one
// connection factory, the clients made from it, and the Greeter's generated types.
export {
  connect,
  ConnectError,
  deadlineIn,
  DEFAULT_DEADLINE_MS,
  defaultAudience,
  genericClient,
  greeterClient,
  healthClient,
  resolveTarget,
  type CallAuth,
  type Connection,
  type ConnectOptions,
} from './connect.js';
export { TokenError } from './auth.js';
export type { GreeterClient } from '../generated/helloworld/Greeter.js';
export type { HelloRequest, HelloRequest__Output } from '../generated/helloworld/HelloRequest.js';
export type { HelloResponse, HelloResponse__Output } from '../generated/helloworld/HelloResponse.js';
export type { HealthClient } from '../generated/grpc/health/v1/Health.js';
export type { HealthCheckResponse__Output } from '../generated/grpc/health/v1/HealthCheckResponse.js';
