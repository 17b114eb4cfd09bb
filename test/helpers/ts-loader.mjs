// Lets `node --import ./test/helpers/ts-loader.mjs src/main.ts` run the service from its sources,
// compiled by swc as the tests compile it, so a test can start the real entry point without a build.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import swc from '@swc/core';

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if (
    specifier.endsWith('.js') &&
    context.parentURL?.startsWith('file:') &&
    !context.parentURL.includes('/node_modules/')
  ) {
    const typescript = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (specifier.startsWith('.') && existsSync(fileURLToPath(typescript))) {
      return nextResolve(typescript.href, context);
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = await swc.transform(source, {
    filename: fileURLToPath(url),
    sourceMaps: 'inline',
    module: { type: 'es6' },
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
