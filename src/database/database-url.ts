/** A `DATABASE_URL` split into what the `pg` driver connects to and the schema the service's tables live in. */
export interface PostgresLocation {
  /** The URL without the `schema` parameter. */
  connectionUrl: string;
  /** From `?schema=name` (the convention Prisma uses too); undefined leaves PostgreSQL's search path alone. */
  schema: string | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function parsePostgresUrl(databaseUrl: string): PostgresLocation {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`schema "${schema}": expected letters, digits and "_", starting with a letter or "_"`);
  }
  url.searchParams.delete('schema');
  return { connectionUrl: url.toString(), schema };
}
