// What a server loads at start-up: google-auth-library only when it verifies tokens (AUTH_AUDIENCE).
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { sayHello } from '../helpers/calls.js';
import { startServer } from '../helpers/server.js';

const authLibraryLoaded = (): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/google-auth-library/'));

t.test('a server without AUTH_AUDIENCE serves without loading google-auth-library', async (t) => {
  const { client } = await startServer(t);
  t.equal((await sayHello(client(), { name: 'Ada' })).status.code, grpc.status.OK);
  t.equal(authLibraryLoaded(), false);
});

t.test('a server with AUTH_AUDIENCE loads it, and rejects a call without a token', async (t) => {
  const { client } = await startServer(t, { AUTH_AUDIENCE: 'https://greeter.example' });
  t.equal(authLibraryLoaded(), true);
  const { status } = await sayHello(client(), { name: 'Ada' });
  t.equal(status.code, grpc.status.UNAUTHENTICATED);
});
