import cluster from 'node:cluster';
import * as grpc from '@grpc/grpc-js';
import { helloworld } from '../src/proto.js';
const addr = process.argv[2]!;
if (cluster.isPrimary) {
  let n = 0;
  cluster.on('listening', (w, a) => { console.log('primary: worker', w.id, 'listening', JSON.stringify(a)); if (++n === 2) go(); });
  for (let i = 0; i < 2; i++) cluster.fork();
  const go = async () => {
    const port = Number(process.argv[3]);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 8; i++) {
      const c = new helloworld.Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
      const r = await new Promise<string>((res, rej) => c.SayHello({ name: 'x' }, (e, v) => (e ? rej(e) : res(v!.message))));
      seen[r] = (seen[r] ?? 0) + 1; c.close();
    }
    console.log(seen);
    for (const w of Object.values(cluster.workers!)) w!.kill();
  };
} else {
  const s = new grpc.Server();
  s.addService(helloworld.Greeter.service, { SayHello: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { message: `pid ${process.pid}` }) } as never);
  s.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (e, p) => console.log('worker', process.pid, 'bound', e?.message, p));
}
