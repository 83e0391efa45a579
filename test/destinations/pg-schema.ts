import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresUrl } from '../helpers/services.js';

/** A schema name no other test (or helper on this machine) uses; dropSchema removes it. */
export function uniqueSchema(prefix = 'snag_dest'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The test server's URL with a `schema` (and other) query options. */
export function pgDestinationUrl(schema: string, extra: Record<string, string> = {}): string {
  const u = new URL(postgresUrl());
  u.searchParams.set('schema', schema);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

/** Runs SQL as the test server's superuser, outside any destination. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: postgresUrl() });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
