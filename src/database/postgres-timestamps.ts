import pg from 'pg';

/**
 * Makes the `pg` driver write and read `timestamp` columns (TypeORM's type for a `Date` there) as
 * UTC. By default it writes each process's local wall time and drops the offset, so processes in
 * different time zones, or one process across a daylight-saving change, disagree on every instant.
 * Process-wide, as the driver's settings are; a process talks to one database.
 */
export function keepPostgresTimestampsInUtc(): void {
  pg.defaults.parseInputDatesAsUTC = true;
  pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (text) => new Date(`${text.replace(' ', 'T')}Z`));
}
