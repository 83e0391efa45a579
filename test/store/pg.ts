import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresUrl } from '../helpers/services.js';

/**
 * A PostgreSQL schema of its own for one test (other suites and other helpers use the same server at once), and the
 * store URL that points at it. `drop()` removes it with everything in it.
 */
export interface TestSchema {
  schema: string;
  /** `postgres://…?schema=NAME`: what SNAGSYNC_DATABASE_URL is set to. */
  url: string;
  drop(): Promise<void>;
}

export function testSchema(prefix = 'snagstore'): TestSchema {
  const schema = `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
  const url = new URL(postgresUrl());
  url.searchParams.set('schema', schema);
  return {
    schema,
    url: url.toString(),
    drop: () => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined),
  };
}

/** One statement on the test database, outside any store (to look at what a store wrote, or to damage it). */
export async function adminQuery<R extends Record<string, unknown> = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
