// `npm run interop -- …`: the interop command on its own, with the process's streams.
import { interopCommand } from '../cli/interop.js';

process.exitCode = await interopCommand.run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
