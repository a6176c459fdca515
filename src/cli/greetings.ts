// `cloudrun-grpc greetings`: LotsOfGreetings, the client-streaming shape.
import type * as grpc from '@grpc/grpc-js';
import { greeterClient } from '../client/connect.js';
import type { HelloRequest } from '../generated/helloworld/HelloRequest.js';
import type { HelloResponse__Output } from '../generated/helloworld/HelloResponse.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, parseCommandArgs, replyPrinter, runCall, sendNames, stdinLines } from './call.js';
import type { Command } from './command.js';

export const greetingsCommand: Command = {
  name: 'greetings',
  summary: 'LotsOfGreetings (client streaming): names from arguments or stdin, one greeting back',
  usage: `Usage: cloudrun-grpc greetings [options] TARGET [NAME...]

Calls helloworld.Greeter/LotsOfGreetings, sending one request per NAME, or, with no NAME, one per
non-blank line of stdin as it is read; prints the server's one greeting when the stream is closed.

${CALL_FLAGS_USAGE}`,
  flags: CALL_FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, CALL_FLAGS);
    const [target, ...names] = positionals;
    return runCall(io, values, target, greeterClient, async (client) => {
      let call!: grpc.ClientWritableStream<HelloRequest>;
      const reply = new Promise<HelloResponse__Output>((resolve, reject) => {
        call = client.LotsOfGreetings((error, response) => (error ? reject(error) : resolve(response!)));
      });
      const stdin = new AbortController();
      try {
        const [greeting] = await Promise.all([reply, sendNames(call, names.length > 0 ? names : stdinLines(io, stdin.signal))]);
        replyPrinter(io, values.json)(greeting);
      } finally {
        stdin.abort();
      }
    });
  },
};
