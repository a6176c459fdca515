// The interop clients, built through the one connection factory (connect.ts)
// so they use the same TLS, authority and CA handling as every other caller.
import * as grpc from '@grpc/grpc-js';
import { connect, type ConnectOptions } from '../client/connect.js';
import type { TestServiceClient } from '../generated/grpc/testing/TestService.js';
import type { UnimplementedServiceClient } from '../generated/grpc/testing/UnimplementedService.js';
import { interopProto } from '../proto.js';

/** Where the interop cases run: the server's address and how to reach it. */
export interface InteropTarget {
  readonly target: string;
  readonly options: ConnectOptions;
}

/** Compress every request message with gzip (unless a write says otherwise). */
export const GZIP: grpc.ChannelOptions = { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip };

/** Runs `use` with a TestService client on its own channel, and closes the channel after. */
export async function withTestService<T>(
  { target, options }: InteropTarget,
  use: (client: TestServiceClient) => Promise<T>,
  channelOptions: grpc.ChannelOptions = {},
): Promise<T> {
  const connection = connect(target, { ...options, channelOptions: { ...options.channelOptions, ...channelOptions } });
  const { TestService } = interopProto().grpcTesting;
  const client = new TestService(connection.target, connection.credentials, connection.options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** Runs `use` with a client of grpc.testing.UnimplementedService, which no server implements. */
export async function withUnimplementedService<T>(
  { target, options }: InteropTarget,
  use: (client: UnimplementedServiceClient) => Promise<T>,
): Promise<T> {
  const connection = connect(target, options);
  const { UnimplementedService } = interopProto().grpcTesting;
  const client = new UnimplementedService(connection.target, connection.credentials, connection.options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}
