/**
 * Bundles the compiled service (dist/src/main.js, which tsc wrote with its decorator metadata) and
 * the packages it imports into one ES module, dist/bundle/main.js: the production start. Loaded
 * module by module, Node 20 spends most of a start resolving, reading and compiling ~2,900 files;
 * from one file it starts in about a third of the CPU time (README, "npm run bench:startup").
 *
 * Left outside, loaded from node_modules at run time: native addons, swagger-ui-dist (Swagger UI's
 * files are served from its folder) and whatever is not installed (Nest's and TypeORM's optional
 * packages, which stay unused as before).
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { build } from 'esbuild';

const BUNDLE = 'dist/bundle/main.js';
const BUNDLE_DIR = dirname(BUNDLE);
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
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Nest, TypeORM and Swagger read class names (logger contexts, error messages, schema names).
  keepNames: true,
  // A quarter less CPU at start than with the whitespace kept; stack traces keep their names,
  // and `node --enable-source-maps` maps them back to the sources through main.js.map.
  minifyWhitespace: true,
  sourcemap: true,
  external: EXTERNAL,
  plugins: [externalWhenNotInstalled, asInNodeModules],
  // CommonJS code inside an ES module needs `require`; asInNodeModules needs __bundlePath.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { dirname as __dirnameOf, resolve as __resolvePath } from 'node:path';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      'const require = __createRequire(import.meta.url);',
      'const __bundleDir = __dirnameOf(__fileURLToPath(import.meta.url));',
      'const __bundlePath = (path) => __resolvePath(__bundleDir, path);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
