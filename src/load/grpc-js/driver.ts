// The grpc-js driver (--driver grpc-js): one channel per connection, calls made
// through the generated Greeter client as an application would make them.
import { connect, greeterClient, type ConnectOptions } from '../../client/connect.js';
import type { GreeterClient } from '../../generated/helloworld/Greeter.js';
import { ConnectError, type Caller, type LoadConnections } from '../driver.js';
import type { LoadPlan } from '../plan.js';
import { callFor, type Slot } from './shapes.js';

/**
 * grpc-js shares one subchannel (one TCP connection) between channels whose
 * target and options are equal; a channel-local subchannel pool makes each
 * channel open its own, which is what --connections promises.
 */
export const SEPARATE_CONNECTION_OPTION = 'grpc.use_local_subchannel_pool';

function waitForReady(client: GreeterClient, ms: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + ms, (error) => (error ? reject(error) : resolve())));
}

export async function openGrpcJsConnections(plan: LoadPlan): Promise<LoadConnections> {
  const options: ConnectOptions = {
    ...plan.connection,
    // No channelz: nothing reads it here, and it costs Date objects per call the harness would rather spend on load.
    channelOptions: { [SEPARATE_CONNECTION_OPTION]: 1, 'grpc.enable_channelz': 0 },
  };
  let clients: GreeterClient[];
  try {
    clients = Array.from({ length: plan.connections }, () => greeterClient(connect(plan.target, options)));
  } catch (error) {
    throw new ConnectError((error as Error).message, undefined);
  }
  const close = (): void => clients.forEach((client) => client.close());
  try {
    await Promise.all(clients.map((client) => waitForReady(client, plan.connectTimeoutMs)));
  } catch (error) {
    close();
    throw new ConnectError(`cannot connect to ${plan.target} within ${plan.connectTimeoutMs} ms (--connect-timeout): ${(error as Error).message}`, undefined);
  }
  const makeCall = callFor(plan.shape, plan);
  return {
    caller(index): Caller {
      const client = clients[index % clients.length] as GreeterClient;
      const slot: Slot = { call: undefined };
      return { call: () => makeCall(client, slot), cancel: () => slot.call?.cancel() };
    },
    close,
  };
}
