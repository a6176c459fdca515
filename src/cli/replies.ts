// `cloudrun-grpc replies`: LotsOfReplies, the server-streaming shape.
import { finished } from 'node:stream/promises';
import { greeterClient } from '../client/connect.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, noMoreArguments, parseCommandArgs, replyPrinter, runCall, wholeNumber } from './call.js';
import type { Command } from './command.js';

const FLAGS = {
  ...CALL_FLAGS,
  count: { type: 'string' },
  'interval-ms': { type: 'string' },
} as const;

export const repliesCommand: Command = {
  name: 'replies',
  summary: 'LotsOfReplies (server streaming): greetings printed as they arrive',
  usage: `Usage: cloudrun-grpc replies [options] TARGET [NAME]

Calls helloworld.Greeter/LotsOfReplies with NAME (default "world") and prints each reply as it arrives.

Request:
  --count N              how many replies the server sends, at least 1 (default: the server's, 10)
  --interval-ms MS       milliseconds between replies (default 0); mind --deadline for long streams

${CALL_FLAGS_USAGE}`,
  flags: FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, FLAGS);
    const [target, name = 'world', ...extra] = positionals;
    noMoreArguments(extra);
    const request = { name, count: wholeNumber('count', values.count, 1), interval_ms: wholeNumber('interval-ms', values['interval-ms']) };
    return runCall(io, values, target, greeterClient, async (client) => {
      const call = client.LotsOfReplies(request);
      call.on('data', replyPrinter(io, values.json));
      await finished(call);
    });
  },
};
