// `cloudrun-grpc hello`: SayHello, the unary shape.
import { greeterClient } from '../client/connect.js';
import type { HelloResponse__Output } from '../generated/helloworld/HelloResponse.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, noMoreArguments, parseCommandArgs, replyPrinter, runCall } from './call.js';
import type { Command } from './command.js';

export const helloCommand: Command = {
  name: 'hello',
  summary: 'SayHello (unary): one request, one greeting',
  usage: `Usage: cloudrun-grpc hello [options] TARGET [NAME]

Calls helloworld.Greeter/SayHello with NAME (default "world") and prints the greeting.

${CALL_FLAGS_USAGE}`,
  flags: CALL_FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, CALL_FLAGS);
    const [target, name = 'world', ...extra] = positionals;
    noMoreArguments(extra);
    return runCall(io, values, target, greeterClient, async (client) => {
      const reply = await new Promise<HelloResponse__Output>((resolve, reject) =>
        client.SayHello({ name }, (error, response) => (error ? reject(error) : resolve(response!))),
      );
      replyPrinter(io, values.json)(reply);
    });
  },
};
