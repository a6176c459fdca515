// The server keeps no channelz records (it serves no channelz service, so nothing would read them): a
// channelz service in the same process, asked over a real socket, does not know the server.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { sayHello } from '../helpers/calls.js';
import { startServer } from '../helpers/server.js';

type GetServer = (request: { server_id: string }, callback: (error: grpc.ServiceError | null) => void) => void;

t.test('the server keeps no channelz records: a channelz service does not know it', async (t) => {
  const { server, client } = await startServer(t);
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);

  // A second server with grpc-js's defaults (channelz on), serving grpc-js's own channelz service.
  const admin = new grpc.Server();
  grpc.addAdminServicesToServer(admin);
  const port = await new Promise<number>((resolve, reject) =>
    admin.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Channelz = grpc.makeGenericClientConstructor(grpc.getChannelzServiceDefinition(), 'Channelz');
  const channelz = new Channelz(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => {
    channelz.close();
    admin.forceShutdown();
  });
  const getServer = (id: number): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => (channelz as unknown as { GetServer: GetServer }).GetServer({ server_id: String(id) }, resolve));

  t.equal(await getServer(admin.getChannelzRef().id), null, 'the channelz service knows a server with channelz on');
  t.equal((await getServer(server.grpcServer.getChannelzRef().id))?.code, grpc.status.NOT_FOUND, 'but not ours');
});
