// Rewrites the configuration table in README.md from the settings schema (src/config/app-settings.ts).
// Run through `npm run docs:config`, which compiles the schema first; src/config/settings-table.spec.ts
// fails while the README and the schema disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { appSettings } from '../dist/src/config/app-settings.js';
import { renderSettingsTable, withSettingsTable } from '../dist/src/config/settings-table.js';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', withSettingsTable(readme, renderSettingsTable(appSettings)));
