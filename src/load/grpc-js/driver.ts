// The grpc-js driver (--driver grpc-js): one channel per connection, calls made
// through grpc-js's generic client as an application would make them.
import * as grpc from '@grpc/grpc-js';
import { connect, type ConnectOptions } from '../../client/connect.js';
import { isPingPong, methodOf, requestSource, type CallMessages } from '../call/requests.js';
import { ConnectError, type Caller, type LoadConnections } from '../driver.js';
import type { LoadPlan, RateShare } from '../plan.js';
import { callFor, type GrpcRequest, type Slot } from './shapes.js';

/**
 * grpc-js shares one subchannel (one TCP connection) between channels whose
 * target and options are equal; a channel-local subchannel pool makes each
 * channel open its own, which is what --connections promises.
 */
export const SEPARATE_CONNECTION_OPTION = 'grpc.use_local_subchannel_pool';

function waitForReady(client: grpc.Client, ms: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + ms, (error) => (error ? reject(error) : resolve())));
}

function grpcRequest(call: CallMessages): GrpcRequest {
  if (call.metadata.length === 0) return { messages: call.messages, count: call.count, metadata: undefined };
  const metadata = new grpc.Metadata();
  for (const [key, value] of call.metadata) metadata.add(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
  return { messages: call.messages, count: call.count, metadata };
}

export async function openGrpcJsConnections(plan: LoadPlan, share: RateShare): Promise<LoadConnections> {
  const method = methodOf(plan);
  const { responseType } = method;
  const requests = requestSource(plan, method, share, grpcRequest);
  const options: ConnectOptions = {
    ...plan.connection,
    // No channelz: nothing reads it here, and it costs Date objects per call the harness would rather spend on load.
    channelOptions: { [SEPARATE_CONNECTION_OPTION]: 1, 'grpc.enable_channelz': 0 },
  };
  let clients: grpc.Client[];
  try {
    clients = Array.from({ length: plan.connections }, () => {
      const connection = connect(plan.target, options);
      return new grpc.Client(connection.target, connection.credentials, connection.options);
    });
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
  const makeCall = callFor(plan.shape, { path: method.path, decode: (bytes) => responseType.decode(bytes), pingPong: isPingPong(method) }, plan);
  return {
    caller(index): Caller {
      const client = clients[index % clients.length] as grpc.Client;
      const slot: Slot = { call: undefined };
      return {
        call(n) {
          let request: GrpcRequest;
          try {
            request = requests.forCall(n);
          } catch (error) {
            // Templated data that renders into something the message cannot hold: nothing is sent.
            return Promise.resolve({ code: grpc.status.INTERNAL, details: (error as Error).message, sent: 0, received: 0 });
          }
          return makeCall(client, slot, request);
        },
        cancel: () => slot.call?.cancel(),
      };
    },
    close,
  };
}
