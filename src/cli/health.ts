// `cloudrun-grpc health`: grpc.health.v1 Check, for scripts and probes, or Watch.
import { finished } from 'node:stream/promises';
import * as grpc from '@grpc/grpc-js';
import { healthClient } from '../client/connect.js';
import type { HealthCheckResponse__Output } from '../generated/grpc/health/v1/HealthCheckResponse.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, noMoreArguments, parseCommandArgs, runCall } from './call.js';
import type { Command } from './command.js';

/** Exit code when the server answers but is not SERVING: outside the gRPC status codes (0-16). */
export const NOT_SERVING_EXIT_CODE = 20;

const FLAGS = { ...CALL_FLAGS, service: { type: 'string', default: '' }, watch: { type: 'boolean', default: false } } as const;

export const healthCommand: Command = {
  name: 'health',
  summary: 'grpc.health.v1 Check: prints the serving status; exit 0 only when SERVING',
  usage: `Usage: cloudrun-grpc health [options] TARGET

Calls grpc.health.v1.Health/Check and prints the status (SERVING, NOT_SERVING, ...).
Exit status: 0 when SERVING, ${NOT_SERVING_EXIT_CODE} when the server answers anything else, the gRPC status
code when the call fails (5 NOT_FOUND: no such service; 14 UNAVAILABLE: nothing answering).

With --watch, calls Health/Watch instead and prints each status the server sends, until the server
ends the stream, Ctrl-C, or --deadline (no deadline by default): when --deadline ends it, the exit status
is that of the last status printed (0 SERVING, ${NOT_SERVING_EXIT_CODE} other); any other end exits with its gRPC status.

Request:
  --service NAME         the service to ask about (default "": the whole server; or helloworld.Greeter)
  --watch                stream every change of status (Health/Watch) instead of asking once

${CALL_FLAGS_USAGE}`,
  flags: FLAGS,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, FLAGS);
    const [target, ...extra] = positionals;
    noMoreArguments(extra);
    const exitCodeOf = (status: string): number => (status === 'SERVING' ? 0 : NOT_SERVING_EXIT_CODE);
    const print = (status: string): void => void io.stdout.write(values.json ? `${JSON.stringify({ status })}\n` : `${status}\n`);
    if (values.watch) {
      return runCall(io, values, target, healthClient, async (client) => {
        let last: string | undefined;
        // A watch lasts until it is ended: no deadline unless --deadline asks for one.
        const call = client.Watch({ service: values.service }, values.deadline === undefined ? { deadline: Infinity } : {});
        call.on('data', ({ status }: HealthCheckResponse__Output) => print((last = status)));
        try {
          await finished(call);
        } catch (error) {
          const deadlineEnded = (error as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED && last !== undefined;
          if (!deadlineEnded) throw error;
        }
        return exitCodeOf(last ?? 'UNKNOWN');
      });
    }
    return runCall(io, values, target, healthClient, async (client) => {
      const { status } = await new Promise<HealthCheckResponse__Output>((resolve, reject) =>
        client.Check({ service: values.service }, (error, response) => (error ? reject(error) : resolve(response!))),
      );
      print(status);
      return exitCodeOf(status);
    });
  },
};
