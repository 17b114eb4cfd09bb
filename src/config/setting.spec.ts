import { describe, expect, it } from 'vitest';
import { appSettings } from './app-settings.js';
import { listSettings, readSettings, setting } from './setting.js';
import { baseUrl, list, text, wholeNumber } from './setting-parsers.js';

const schema = {
  siteUrl: setting({ env: 'SITE_URL', parse: baseUrl, default: 'http://localhost:$PORT', doc: 'Site.' }),
  port: setting({ env: 'PORT', parse: wholeNumber(1, 9999), default: '80', doc: 'Port.' }),
  tags: setting({ env: 'TAGS', parse: list, default: '', doc: 'Tags.' }),
  mail: {
    relay: setting({ env: 'RELAY', parse: text, doc: 'Relay.' }),
  },
};

describe(readSettings.name, () => {
  it('reads each setting into the place the schema gives it', () => {
    const { values, problems } = readSettings(schema, { PORT: '8080', TAGS: 'a,b', RELAY: ' smtp.example ' });
    expect(values).toEqual({
      siteUrl: 'http://localhost:8080',
      port: 8080,
      tags: ['a', 'b'],
      mail: { relay: 'smtp.example' },
    });
    expect(problems).toEqual([]);
  });

  it('parses the default of an unset or blank variable, and leaves one without a default undefined', () => {
    const { values } = readSettings(schema, { PORT: '   ', RELAY: '' });
    expect(values).toEqual({ siteUrl: 'http://localhost:80', port: 80, tags: [], mail: { relay: undefined } });
  });

  it('puts the other setting’s value, not its raw text, in a derived default', () => {
    expect(readSettings(schema, { PORT: ' 0081 ' }).values.siteUrl).toBe('http://localhost:81');
  });

  it('names each bad variable and falls back to its default, so what derives from it still has a value', () => {
    const { values, problems } = readSettings(schema, { PORT: 'eighty', SITE_URL: 'ftp://x' });
    expect(problems).toEqual(['SITE_URL="ftp://x": expected an http(s) URL', 'PORT="eighty": expected a whole number']);
    expect(values).toMatchObject({ siteUrl: 'http://localhost:80', port: 80 });
  });

  it("names a bad secret's variable without its value", () => {
    const secret = { key: setting({ env: 'KEY', parse: wholeNumber(1, 9), doc: 'Key.', secret: true }) };
    expect(readSettings(secret, { KEY: 'hunter2' }).problems).toEqual(['KEY (hidden): expected a whole number']);
  });

  it('names a default that fails its own check', () => {
    const broken = { limit: setting({ env: 'LIMIT', parse: wholeNumber(1, 9), default: '10', doc: 'Limit.' }) };
    expect(readSettings(broken, {}).problems).toEqual(['LIMIT (default "10"): expected a number from 1 to 9']);
  });

  it('refuses a default that refers to no setting or back to itself', () => {
    const unknown = { a: setting({ env: 'A', parse: text, default: '$B/x', doc: 'A.' }) };
    expect(() => readSettings(unknown, {})).toThrow('refers to B, which is not a setting');
    const loop = {
      a: setting({ env: 'A', parse: text, default: '$B', doc: 'A.' }),
      b: setting({ env: 'B', parse: text, default: '$A', doc: 'B.' }),
    };
    expect(() => readSettings(loop, {})).toThrow('depends on itself');
  });
});

describe('appSettings', () => {
  it('reads each variable once and describes each in one line', () => {
    const settings = listSettings(appSettings);
    const names = settings.map((entry) => entry.env);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of settings) {
      expect(entry.env).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(entry.doc).toMatch(/^\S[^\n]*\.$/);
    }
  });
});
