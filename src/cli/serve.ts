// `cloudrun-grpc serve`: the Greeter server, exactly as `npm start` runs it.
import { runServer } from '../server/run.js';
import { noMoreArguments, parseCommandArgs } from './call.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the Greeter server (configured by environment variables, as in the container)',
  usage: `Usage: cloudrun-grpc serve

Runs the Greeter server as the container does: listens on PORT (default 8080), configured by
environment variables (PORT, HOST, STREAMING, LOG_LEVEL, SHUTDOWN_GRACE_MS, AUTH_AUDIENCE,
AUTH_ALLOWED_EMAILS, TLS_CERT_FILE, TLS_KEY_FILE, ...: see the README). Logs are JSON lines on stdout.
SIGTERM or SIGINT drains it: NOT_SERVING, in-flight calls finish, then exit 0.
Exit status: 1 when it cannot listen, 2 when the configuration is invalid.`,
  async run(argv, io) {
    noMoreArguments(parseCommandArgs(argv, {}).positionals);
    return runServer(io.env, io.stderr);
  },
};
