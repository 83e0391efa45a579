import type { Store } from '../repository.js';
import { openMetadataDb, storeError } from './connection.js';
import { sqliteContents } from './contents.js';
import { SqliteCredentials } from './credentials.js';
import { migrate, schemaVersion } from './migrations.js';
import { SqliteRuns } from './runs.js';
import { SqliteSources } from './sources.js';
import { SqliteSinks } from './sinks.js';
import { SqliteAudit } from './audit.js';
import { SqliteUsers } from './users.js';
import { SqliteWebhooks } from './webhooks.js';
import { SqliteNotifications } from './notifications.js';
import { SqliteWritebacks } from './writebacks.js';

/** Opens (creating and migrating as needed) a SQLite metadata store at `path`. */
export function openSqliteStore(path: string): Store {
  const db = openMetadataDb(path);
  try {
    migrate(db, path);
  } catch (err) {
    db.close();
    throw storeError(err, path);
  }
  const sources = new SqliteSources(db, path);
  const credentials = new SqliteCredentials(db, path, sources);
  const runs = new SqliteRuns(db, path);
  const writebacks = new SqliteWritebacks(db, path);
  const sinks = new SqliteSinks(db, path);
  const webhooks = new SqliteWebhooks(db, path);
  const users = new SqliteUsers(db, path);
  const audit = new SqliteAudit(db, path);
  return {
    kind: 'sqlite',
    location: path,
    credentials,
    sources,
    runs,
    writebacks,
    sinks,
    webhooks,
    notifications: new SqliteNotifications(db, path),
    users,
    audit,
    schemaVersion: async () => schemaVersion(db),
    contents: () => sqliteContents(db, { credentials, sources, runs, sinks, writebacks, webhooks }),
    close: async () => {
      if (db.open) db.close();
    },
  };
}
