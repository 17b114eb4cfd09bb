import { describe, expect, it } from 'vitest';
import { parsePostgresUrl, hidePassword } from './database-url.js';

describe(parsePostgresUrl.name, () => {
  it('takes the schema out of the URL the driver connects to', () => {
    expect(parsePostgresUrl('postgres://app:secret@db:5432/media?schema=tenant_1&sslmode=require')).toEqual({
      connectionUrl: 'postgres://app:secret@db:5432/media?sslmode=require',
      schema: 'tenant_1',
    });
  });

  it('leaves the search path alone without a schema', () => {
    expect(parsePostgresUrl('postgres://db/media')).toEqual({
      connectionUrl: 'postgres://db/media',
      schema: undefined,
    });
  });

  it('refuses a schema name that would need quoting', () => {
    expect(() => parsePostgresUrl('postgres://db/media?schema=a;drop')).toThrow('schema "a;drop"');
  });
});

describe(hidePassword.name, () => {
  it('hides the password and keeps the rest', () => {
    expect(hidePassword('postgres://app:s3cr%40t@db:5432/media?schema=x')).toBe(
      'postgres://app:***@db:5432/media?schema=x',
    );
  });

  it('keeps anything that is not a URL as it is', () => {
    expect(hidePassword('mysql:/broken')).toBe('mysql:/broken');
    expect(hidePassword('not a url')).toBe('not a url');
  });

  it('keeps a URL without a password as it is', () => {
    expect(hidePassword('postgres://root@127.0.0.1:5432/test')).toBe('postgres://root@127.0.0.1:5432/test');
  });
});
