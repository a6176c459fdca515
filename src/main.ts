// Server entry point (npm start, the container's command): see server/run.ts.
import { runServer } from './server/run.js';

process.exit(await runServer());
