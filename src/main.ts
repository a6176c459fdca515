// Server entry point (npm start, the container's command): see server/run.ts.
import { runServer } from './server/run.js';

// Covered by the spawned test (test/cli/serve.test.ts); tap cannot merge the coverage of tsx children.
/* c8 ignore next */
process.exit(await runServer());
