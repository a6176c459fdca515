// The second step of `npm run build`: dist/main.js, the server's entry (`npm start`, the image's
// command), and one file beside it, dist/main-server.js, which it imports, come to hold the server
// and the packages it loads at start, so a cold start reads and links two modules instead of about a
// hundred (`npm run bench:cold-start` measures it). main.js turns Node's compile cache on before it
// imports main-server.js, so the cache covers that file too. The CLI (dist/cli.js) and the other
// modules in dist/ stay as tsc wrote them.
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ENTRY = 'dist/main.js';

/**
 * Left in node_modules. @grpc/grpc-js-xds, loaded only with XDS_SERVER=on (src/xds.ts), brings its own
 * grpc.Server, which accepts only credentials made by the same copy of @grpc/grpc-js (instanceof), so
 * the server must use the installed one too. google-auth-library and @grpc/grpc-js-xds themselves are
 * loaded on demand through createRequire, which esbuild does not follow.
 */
const EXTERNAL = ['@grpc/grpc-js'];

/**
 * grpc-health-check and @grpc/reflection read their .proto files relative to __dirname, which in one
 * bundled file would be dist/. In each bundled package file, __dirname and __filename become that
 * file's own place in its package, found at run time wherever npm installed the package. So do the
 * targets of a package's own dynamic imports (@opentelemetry/resources loads its machine-id reader per
 * platform), which would otherwise each become a chunk of their own beside main-server.js.
 */
const packageDirname: Plugin = {
  name: 'package-dirname',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      const dynamicImport = /\bimport\((['"])(\.\.?\/[^'"]+)\1\)/g;
      if (!/\b__(dirname|filename)\b/.test(contents) && !dynamicImport.test(contents)) return undefined;
      const inPackage = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](.*)$/.exec(args.path)!;
      const [name, file] = [inPackage[1]!.replace(/\\/g, '/'), inPackage[2]!.replace(/\\/g, '/')];
      if (args.path.split(/[\\/]node_modules[\\/]/).length > 2) {
        throw new Error(`${args.path} uses __dirname inside a nested package; resolve it from the package that holds it`);
      }
      const dir = file.split('/').slice(0, -1).join('/');
      return {
        contents: contents
          .replace(/\b__dirname\b/g, `__packagePath(${JSON.stringify(name)}, ${JSON.stringify(dir)})`)
          .replace(/\b__filename\b/g, `__packagePath(${JSON.stringify(name)}, ${JSON.stringify(file)})`)
          .replace(dynamicImport, (_, _quote: string, target: string) =>
            `import(__fileUrl(__packagePath(${JSON.stringify(name)}, ${JSON.stringify(posix.join(dir, target))})))`),
        loader: 'js',
      };
    });
  },
};

// An ES module has no require(); the bundled CommonJS packages call it for EXTERNAL and node: modules.
const banner = `import { createRequire as __createRequire } from 'node:module';
import { dirname as __dirnameOf, join as __joinPath } from 'node:path';
import { pathToFileURL as __fileUrl } from 'node:url';
const require = __createRequire(import.meta.url);
const __packagePath = (name, path) => __joinPath(__dirnameOf(require.resolve(name + '/package.json')), path);`;

await build({
  entryPoints: [ENTRY],
  outdir: 'dist',
  allowOverwrite: true,
  // The server, which main.js imports after it has turned the compile cache on, as a file of its own.
  splitting: true,
  chunkNames: 'main-server',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  banner: { js: banner },
  sourcemap: 'linked',
  plugins: [packageDirname],
  logLevel: 'warning',
});
