/**
 * dist/bundle/main.js, the production start: runs the bundled service (service.cjs beside it)
 * with V8's code cache of it, made by `npm run build` from a start of its own. Node 20 has no
 * compile cache; with this one the functions a start runs are not compiled again (README,
 * "npm run bench:startup"). `--write-code-cache`: write the cache when the process exits.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const SERVICE = fileURLToPath(new URL('service.cjs', import.meta.url));
const CODE_CACHE = `${SERVICE}.code-cache`;

const source = readFileSync(SERVICE, 'utf8');
// The bundle's first line names its build; a cache made from another build is not used.
const buildId = source.slice(0, source.indexOf('\n'));
const cachedData = readCodeCache();
// CommonJS's wrapper, on the first line so that line numbers stay those of service.cjs. Without
// an experimental flag node:vm gives the script no import(); what is left of import() in the bundle
// loads packages that are not installed (Nest's microservices, TypeORM's file globs), on paths this
// service does not take, and fails there as it would have failed to find the package.
const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: SERVICE,
  cachedData,
});
const writing = process.argv.includes('--write-code-cache');
if (!writing && (cachedData === undefined || script.cachedDataRejected)) {
  console.warn(
    `${CODE_CACHE} ${cachedData ? 'was rejected by this Node.js' : 'is missing or from another build'}: start-up is slower; npm run build makes it`,
  );
}
if (writing) {
  // After the start, so that the functions it compiled lazily are in the cache too.
  process.once('exit', () =>
    writeFileSync(CODE_CACHE, Buffer.concat([Buffer.from(`${buildId}\n`), script.createCachedData()])),
  );
}
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(SERVICE), module, SERVICE, dirname(SERVICE));

/** The cache written for this build, without its first line (the build's name); undefined if there is none. */
function readCodeCache() {
  let cache;
  try {
    cache = readFileSync(CODE_CACHE);
  } catch {
    return undefined;
  }
  const header = Buffer.from(`${buildId}\n`);
  return cache.subarray(0, header.length).equals(header) ? cache.subarray(header.length) : undefined;
}
