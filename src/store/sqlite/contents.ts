import type { RunRepository, StoreContents } from '../repository.js';
import type { Db } from './connection.js';
import type { SqliteCredentials } from './credentials.js';
import type { SqliteSources } from './sources.js';

/** Every row of a SQLite store, read through the repositories so that each is parsed like any other read. */
export async function sqliteContents(
  db: Db,
  repos: { credentials: SqliteCredentials; sources: SqliteSources; runs: RunRepository },
): Promise<StoreContents> {
  const runIds = (db.prepare('SELECT id FROM runs ORDER BY started_at, id').all() as Array<{ id: string }>).map(
    (r) => r.id,
  );
  const runs = [];
  const runStreams = [];
  for (const id of runIds) {
    runs.push(await repos.runs.findById(id));
    runStreams.push(...(await repos.runs.listStreams(id)));
  }
  return { credentials: await repos.credentials.list(), sources: await repos.sources.list(), runs, runStreams };
}
