// Writes src/metadata.ts: what the @nestjs/swagger CLI plugin reads from the DTOs and controllers
// (types, optionality, class-validator rules, JSDoc). The app loads it at start, so `nest build`
// and the SWC-compiled tests produce the same OpenAPI document. Run after changing a DTO.
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const srcDir = resolve('src');
const outputDir = process.argv.includes('--check') ? mkdtempSync(join(tmpdir(), 'metadata-')) : srcDir;

new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      pathToSource: srcDir,
      dtoFileNameSuffix: ['.dto.ts', '.entity.ts'],
      esmCompatible: true,
    }),
  ],
  outputDir,
  tsconfigPath: 'tsconfig.build.json',
  printDiagnostics: false,
});

if (outputDir !== srcDir) {
  const fresh = readFileSync(join(outputDir, 'metadata.ts'), 'utf8');
  rmSync(outputDir, { recursive: true, force: true });
  if (fresh !== readFileSync(join(srcDir, 'metadata.ts'), 'utf8')) {
    console.error('src/metadata.ts is out of date: run `npm run openapi`');
    process.exit(1);
  }
}
