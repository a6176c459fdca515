// `cloudrun-grpc bidi`: BidiHello, the bidirectional shape, interactively:
// each stdin line goes out as it is typed, each reply is printed as it comes back.
import { finished } from 'node:stream/promises';
import { greeterClient } from '../client/connect.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, noMoreArguments, parseCommandArgs, replyPrinter, runCall, sendNames, stdinLines } from './call.js';
import type { Command } from './command.js';

export const bidiCommand: Command = {
  name: 'bidi',
  summary: 'BidiHello (bidirectional streaming): stdin lines out, replies printed as they come back',
  usage: `Usage: cloudrun-grpc bidi [options] TARGET

Calls helloworld.Greeter/BidiHello: sends each non-blank line of stdin as a request as soon as it is
read and prints each reply as it arrives. End stdin (Ctrl-D) to close the stream. The call's deadline
(30s unless --deadline) covers the whole session: pass e.g. --deadline 1h to type at leisure.

${CALL_FLAGS_USAGE}`,
  flags: CALL_FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, CALL_FLAGS);
    const [target, ...extra] = positionals;
    noMoreArguments(extra);
    return runCall(io, values, target, greeterClient, async (client) => {
      const call = client.BidiHello();
      call.on('data', replyPrinter(io, values.json));
      const stdin = new AbortController();
      try {
        await Promise.all([finished(call), sendNames(call, stdinLines(io, stdin.signal))]);
      } finally {
        stdin.abort();
      }
    });
  },
};
