// Server entry point (npm start, the container's command): see server/run.ts.
import module from 'node:module';

// Node 22.8+ keeps V8's compiled code for each module in a cache directory (NODE_COMPILE_CACHE, which
// the image prepares at build time, else the OS's temporary directory), so a start after the first
// skips compiling them: a shorter cold start. Node 20 has none. The server's modules are imported only
// after this line, so that they load with the cache on.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runServer } = await import('./server/run.js');

process.exit(await runServer());
