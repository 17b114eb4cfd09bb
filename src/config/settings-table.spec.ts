import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appSettings } from './app-settings.js';
import { setting } from './setting.js';
import { text, wholeNumber } from './setting-parsers.js';
import { findSettingsTable, renderSettingsTable, withSettingsTable } from './settings-table.js';

const readme = readFileSync('README.md', 'utf8');

describe('renderSettingsTable', () => {
  it('is what the README shows (run `npm run docs:config` after changing a setting)', () => {
    expect(findSettingsTable(readme)).toBe(renderSettingsTable(appSettings));
  });

  it('shows each default as written in the environment, or unset, or empty', () => {
    const table = renderSettingsTable({
      limit: setting({ env: 'LIMIT', parse: wholeNumber(1, 9), default: '3', doc: 'At most this | many.' }),
      group: {
        tags: setting({ env: 'TAGS', parse: text, default: '', doc: 'Tags.' }),
        secret: setting({ env: 'SECRET', parse: text, doc: 'A secret.' }),
      },
    });
    expect(table.split('\n').slice(2)).toEqual([
      '| `LIMIT` | `3` | At most this \\| many. |',
      '| `TAGS` | empty | Tags. |',
      '| `SECRET` | unset | A secret. |',
    ]);
  });
});

describe('withSettingsTable', () => {
  it('replaces the table and nothing else, keeping `$` as written', () => {
    const before = [
      '# Title',
      '',
      '| Variable | Default | Meaning |',
      '|---|---|---|',
      '| `OLD` | unset | Old. |',
      '',
      'After.',
    ];
    const table = ['| Variable | Default | Meaning |', '|---|---|---|', "| `NEW` | `$&$'$1` | New. |"].join('\n');
    expect(withSettingsTable(before.join('\n'), table)).toBe(['# Title', '', table, '', 'After.'].join('\n'));
  });

  it('refuses a README without the table', () => {
    expect(() => withSettingsTable('# Title\n', '')).toThrow('no table');
  });
});
