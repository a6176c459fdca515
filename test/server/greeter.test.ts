import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { startServer } from '../helpers/server.js';

t.test('SayHello greets the name over a real socket', async (t) => {
  const { client } = await startServer(t);
  const reply = await new Promise<{ message: string }>((resolve, reject) =>
    client().SayHello({ name: 'Ada' }, (error, response) => (error ? reject(error) : resolve(response!))),
  );
  t.match(reply.message, /Ada/);
});

t.test('SayHello with an empty name fails with INVALID_ARGUMENT', async (t) => {
  const { client } = await startServer(t);
  const error = await new Promise<grpc.ServiceError>((resolve) =>
    client().SayHello({ name: '' }, (error) => resolve(error!)),
  );
  t.equal(error.code, grpc.status.INVALID_ARGUMENT);
  t.match(error.details, /name is empty/);
});
