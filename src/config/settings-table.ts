import { listSettings, type Setting, type SettingsSchema } from './setting.js';

const header = ['| Variable | Default | Meaning |', '|---|---|---|'];

/** The README's configuration table: one row per setting, in the schema's order. */
export function renderSettingsTable(schema: SettingsSchema): string {
  const rows = listSettings(schema).map(
    (entry) => `| \`${entry.env}\` | ${shownDefault(entry)} | ${entry.doc.replaceAll('|', '\\|')} |`,
  );
  return [...header, ...rows].join('\n');
}

function shownDefault(entry: Setting<unknown>): string {
  if (entry.default === undefined) return 'unset';
  if (entry.default === '') return 'empty';
  return `\`${entry.default}\``;
}

/** The configuration table as the README has it now: the table that starts with the same header line. */
export function findSettingsTable(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.indexOf(header[0]);
  if (start === -1) throw new Error(`The README has no table starting with "${header[0]}"`);
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('|'));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** The README with its configuration table replaced by `table`. */
export function withSettingsTable(readme: string, table: string): string {
  return readme.replace(findSettingsTable(readme), () => table);
}
