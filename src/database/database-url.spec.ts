import { describe, expect, it } from 'vitest';
import { parsePostgresUrl } from './database-url.js';

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
