// `cloudrun-grpc health`: grpc.health.v1 Check, for scripts and probes.
import { healthClient } from '../client/connect.js';
import type { HealthCheckResponse__Output } from '../generated/grpc/health/v1/HealthCheckResponse.js';
import { CALL_FLAGS, CALL_FLAGS_USAGE, noMoreArguments, parseCommandArgs, runCall } from './call.js';
import type { Command } from './command.js';

/** Exit code when the server answers but is not SERVING: outside the gRPC status codes (0-16). */
export const NOT_SERVING_EXIT_CODE = 20;

const FLAGS = { ...CALL_FLAGS, service: { type: 'string', default: '' } } as const;

export const healthCommand: Command = {
  name: 'health',
  summary: 'grpc.health.v1 Check: prints the serving status; exit 0 only when SERVING',
  usage: `Usage: cloudrun-grpc health [options] TARGET

Calls grpc.health.v1.Health/Check and prints the status (SERVING, NOT_SERVING, ...).
Exit status: 0 when SERVING, ${NOT_SERVING_EXIT_CODE} when the server answers anything else, the gRPC status
code when the call fails (5 NOT_FOUND: no such service; 14 UNAVAILABLE: nothing answering).

Request:
  --service NAME         the service to ask about (default "": the whole server; or helloworld.Greeter)

${CALL_FLAGS_USAGE}`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, FLAGS);
    const [target, ...extra] = positionals;
    noMoreArguments(extra);
    return runCall(io, values, target, healthClient, async (client) => {
      const { status } = await new Promise<HealthCheckResponse__Output>((resolve, reject) =>
        client.Check({ service: values.service }, (error, response) => (error ? reject(error) : resolve(response!))),
      );
      io.stdout.write(values.json ? `${JSON.stringify({ status })}\n` : `${status}\n`);
      return status === 'SERVING' ? 0 : NOT_SERVING_EXIT_CODE;
    });
  },
};
