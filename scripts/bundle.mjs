/**
 * The production start, dist/bundle/: the compiled service (dist/src/main.js, which tsc wrote
 * with its decorator metadata) and the packages it imports bundled into one file, service.cjs;
 * V8's code cache of it, made by starting it once (an API process on an empty SQLite database);
 * and main.js (from scripts/bundle-main.js), which runs service.cjs with that cache. Loaded module
 * by module, Node 20 spends most of a start resolving, reading and compiling ~2,900 files, and it
 * has no compile cache of its own (README, "npm run bench:startup").
 *
 * Left outside, loaded from node_modules at run time: native addons, swagger-ui-dist (Swagger UI's
 * files are served from its folder) and whatever is not installed (Nest's and TypeORM's optional
 * packages, which stay unused as before).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const BUNDLE_DIR = 'dist/bundle';
const SERVICE = join(BUNDLE_DIR, 'service.cjs');
const MAIN = join(BUNDLE_DIR, 'main.js');
const EXTERNAL = ['better-sqlite3', 'pg-native', 'msgpackr-extract', 'swagger-ui-dist'];

/** An import the build cannot resolve stays an import: a package that is not installed, loaded only if used. */
const externalWhenNotInstalled = {
  name: 'external-when-not-installed',
  setup(bundler) {
    bundler.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.probing) return undefined;
      const { kind, resolveDir, importer } = args;
      const resolved = await bundler.resolve(args.path, { kind, resolveDir, importer, pluginData: { probing: true } });
      return resolved.errors.length > 0 ? { path: args.path, external: true } : resolved;
    });
  },
};

/** `const require = createRequire(import.meta.url);` in an ES module of node_modules. */
const LOCAL_REQUIRE = /^const require = createRequire\(import\.meta\.url\);$/m;

/**
 * Two changes to files from node_modules, so that they behave bundled as they do unbundled:
 * - ES modules that load packages through `createRequire(import.meta.url)` (@nestjs/typeorm loads
 *   typeorm so, @nestjs/terminus @nestjs/swagger, @nestjs/mapped-types class-validator) have those
 *   `require` calls bundled as well; otherwise a second copy of each package loads from node_modules.
 * - CommonJS files that read files next to themselves (ioredis its package.json) get their own
 *   __dirname and __filename, pointing into node_modules as before.
 */
const asInNodeModules = {
  name: 'as-in-node-modules',
  setup(bundler) {
    bundler.onLoad({ filter: /node_modules.*\.[cm]?js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (LOCAL_REQUIRE.test(source)) {
        return { contents: source.replace(LOCAL_REQUIRE, '/* require() bundled */'), loader: 'js' };
      }
      if (!args.path.endsWith('.mjs') && /\b__(dirname|filename)\b/.test(source)) {
        const fromBundle = relative(BUNDLE_DIR, args.path);
        const paths =
          `var __filename = __bundlePath(${JSON.stringify(fromBundle)}), ` +
          `__dirname = __bundlePath(${JSON.stringify(dirname(fromBundle))});`;
        return { contents: `${paths}\n${source}`, loader: 'js' };
      }
      return undefined;
    });
  },
};

await build({
  entryPoints: ['dist/src/main.js'],
  outfile: SERVICE,
  bundle: true,
  platform: 'node',
  // CommonJS, which node:vm compiles with a code cache (ES modules need an experimental flag).
  format: 'cjs',
  target: 'node20',
  // Nest, TypeORM and Swagger read class names (logger contexts, error messages, schema names).
  keepNames: true,
  // A quarter less CPU at start than with the whitespace kept; stack traces keep their names,
  // and `node --enable-source-maps` maps them back to the sources through main.js.map.
  minifyWhitespace: true,
  sourcemap: true,
  external: EXTERNAL,
  plugins: [externalWhenNotInstalled, asInNodeModules],
  // The ES modules bundled here read import.meta.url; asInNodeModules needs __bundlePath.
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.dirname': '__dirname' },
  banner: {
    js: [
      // The build's name, first line: main.js uses a code cache only if it was made from this build.
      `// media-delivery build ${randomUUID()}`,
      // Before any statement, or the ES modules bundled here would not run in strict mode.
      "'use strict';",
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __bundlePath = (path) => require('node:path').resolve(__dirname, path);",
    ].join('\n'),
  },
  logLevel: 'warning',
});
copyFileSync('scripts/bundle-main.js', MAIN);
await writeCodeCache();

/** Starts the bundle once, as an API process on an empty SQLite database, until its first 200 of /health. */
async function writeCodeCache() {
  const dataDir = mkdtempSync(join(tmpdir(), 'media-delivery-code-cache-'));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--write-code-cache'], {
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      PORT: String(port),
      WORKER_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${MAIN} exited with ${child.exitCode} before answering /health`);
      if (Date.now() > deadline) throw new Error(`${MAIN} did not answer /health within 60 s`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (!existsSync(`${SERVICE}.code-cache`)) throw new Error(`${MAIN} exited without writing its code cache`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
