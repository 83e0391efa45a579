import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { SnagError } from '../../core/errors.js';
import { destinationError } from '../errors.js';
import { checkDestinationPath } from '../paths.js';
import { createPool, endpointOf } from '../postgres/connect.js';
import { pgDestinationError } from '../postgres/errors.js';
import type { PostgresTarget } from '../postgres/url.js';
import { quoteId } from '../sqlite/schema.js';
import { parseDestinationUrl } from '../url.js';
import { postgres, sqlite } from './dialect.js';
import { EVENTS_LOOKUP_COLUMNS, ensureRollup, eventsLookupIndex } from './rollups.js';
import { VIEWS, type ViewDefinition } from './views.js';

/** What became of one view in a destination. */
export interface ViewOutcome {
  name: string;
  status: 'created' | 'skipped';
  /** Why it was skipped: the tables or columns it reads that the destination lacks (a stream not synced). */
  reason?: string;
}

export interface ApplyModelsResult {
  kind: 'sqlite' | 'postgres';
  /** The file, or the URL without its password and the schema. */
  location: string;
  views: ViewOutcome[];
}

export interface ApplyModelsOptions {
  cwd?: string;
  /** The snagsync home: the destination may not be in it (destinations/paths.ts). */
  home?: string;
}

/** What a destination holds: its tables and their columns, and the names taken by something other than a view. */
interface Catalog {
  columns: Map<string, Set<string>>;
  notViews: Set<string>;
}

/**
 * Creates (or replaces) every analytics view in the destination a URL names, in one transaction: a view whose
 * tables or columns are missing (its stream never synced) is skipped with the reason; a name taken by a table is
 * left alone. No data table's rows are written, altered or dropped. In PostgreSQL the views over every event read
 * rollups kept by triggers on `events` (models/rollups.ts): the first apply creates and fills them, adds their
 * triggers and an index on `events`; later applies find them in place. A JSONL folder has no SQL to hold views:
 * SnagError('config').
 */
export async function applyModels(url: string, options: ApplyModelsOptions = {}): Promise<ApplyModelsResult> {
  const target = parseDestinationUrl(url, { cwd: options.cwd });
  checkDestinationPath(target, { home: options.home });
  switch (target.kind) {
    case 'sqlite':
      return applySqlite(target.path);
    case 'postgres':
      return applyPostgres(target);
    case 'jsonl':
      throw new SnagError(
        'config',
        `The analytics views apply to SQLite and PostgreSQL destinations; ${target.dir} is a JSONL folder, which holds files, not SQL views.`,
        {
          hint: 'Load the JSONL files into a database and query them there, or point a source at a SQLite or PostgreSQL destination.',
        },
      );
  }
}

/** Which views a destination can hold, and for the others why not. */
function plan(catalog: Catalog): Array<{ view: ViewDefinition; reason: string | null }> {
  return VIEWS.map((view) => {
    if (catalog.notViews.has(view.name))
      return { view, reason: `a table named ${view.name} exists in the destination; snagsync does not replace it` };
    const missingTables = Object.keys(view.needs).filter((t) => !catalog.columns.has(t));
    if (missingTables.length)
      return {
        view,
        reason: `the destination has no ${missingTables.join(', ')} table${missingTables.length > 1 ? 's' : ''} yet (sync the ${missingTables.map(streamOf).join(', ')} stream${missingTables.length > 1 ? 's' : ''} first)`,
      };
    const missingColumns = Object.entries(view.needs).flatMap(([t, cols]) =>
      cols.filter((c) => !catalog.columns.get(t)!.has(c)).map((c) => `${t}.${c}`),
    );
    if (missingColumns.length)
      return {
        view,
        reason: `the destination lacks ${missingColumns.join(', ')} (a sync with this version of snagsync adds them)`,
      };
    return { view, reason: null };
  });
}

/** The stream that fills a table (error_history is kept by the errors stream). */
function streamOf(table: string): string {
  return table === 'error_history' ? 'errors' : table;
}

function outcomes(planned: ReturnType<typeof plan>): ViewOutcome[] {
  return planned.map(({ view, reason }) =>
    reason === null ? { name: view.name, status: 'created' } : { name: view.name, status: 'skipped', reason },
  );
}

function applySqlite(path: string): ApplyModelsResult {
  if (!existsSync(path))
    throw new SnagError('destination', `The destination ${path} does not exist: nothing was synced into it yet.`, {
      hint: 'Sync the source first; the views are created over its tables.',
      details: { location: path },
    });
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 5000 });
    const conn = db;
    const catalog: Catalog = { columns: new Map(), notViews: new Set() };
    const objects = conn
      .prepare(`SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view', 'index')`)
      .all() as Array<{
      name: string;
      type: string;
    }>;
    for (const o of objects) {
      if (o.type !== 'view') catalog.notViews.add(o.name);
      if (o.type !== 'table') continue;
      const cols = conn.prepare(`SELECT name FROM pragma_table_info(?)`).all(o.name) as Array<{ name: string }>;
      catalog.columns.set(o.name, new Set(cols.map((c) => c.name)));
    }
    const planned = plan(catalog);
    conn
      .transaction(() => {
        for (const { view, reason } of planned) {
          if (reason !== null) continue;
          conn.exec(`DROP VIEW IF EXISTS ${quoteId(view.name)}`);
          conn.exec(`CREATE VIEW ${quoteId(view.name)} AS\n${view.sql(sqlite)}`);
        }
      })
      .immediate();
    return { kind: 'sqlite', location: path, views: outcomes(planned) };
  } catch (err) {
    throw destinationError(err, path, 5000);
  } finally {
    db?.close();
  }
}

/** A PostgreSQL error code: the view's columns changed (renamed, dropped, retyped), which OR REPLACE refuses. */
const VIEW_SHAPE_CHANGED = new Set(['42P16', '42804']);

async function applyPostgres(target: PostgresTarget): Promise<ApplyModelsResult> {
  const at = endpointOf(target);
  const pool = createPool(target, { max: 1 });
  const schema = quoteId(target.schema);
  try {
    const c = await pool.connect();
    try {
      const catalog: Catalog = { columns: new Map(), notViews: new Set() };
      const cols = await c.query<{ table_name: string; column_name: string }>(
        `SELECT c.table_name, c.column_name FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE'`,
        [target.schema],
      );
      for (const r of cols.rows) {
        if (!catalog.columns.has(r.table_name)) catalog.columns.set(r.table_name, new Set());
        catalog.columns.get(r.table_name)!.add(r.column_name);
      }
      const others = await c.query<{ relname: string }>(
        `SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace($1) AND relkind <> 'v'`,
        [target.schema],
      );
      for (const r of others.rows) catalog.notViews.add(r.relname);
      const planned = plan(catalog);
      await c.query('BEGIN');
      try {
        await c.query(`SET LOCAL search_path TO ${schema}`);
        const created = planned.filter((p) => p.reason === null).map((p) => p.view);
        for (const rollup of new Set(created.flatMap((v) => v.postgres?.rollups ?? [])))
          await ensureRollup(c, target.schema, rollup);
        const events = catalog.columns.get('events');
        if (created.some((v) => v.postgres?.eventsLookup) && EVENTS_LOOKUP_COLUMNS.every((col) => events?.has(col)))
          await c.query(eventsLookupIndex(target.schema));
        for (const view of created) await createPgView(c, schema, view);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      return { kind: 'postgres', location: at.location, views: outcomes(planned) };
    } finally {
      c.release();
    }
  } catch (err) {
    throw pgDestinationError(err, at);
  } finally {
    await pool.end();
  }
}

async function createPgView(c: pg.PoolClient, schema: string, view: ViewDefinition): Promise<void> {
  const name = `${schema}.${quoteId(view.name)}`;
  const body = view.postgres?.withoutJit ? await withoutJit(c, schema, view) : view.sql(postgres);
  await c.query('SAVEPOINT view_shape');
  try {
    await c.query(`CREATE OR REPLACE VIEW ${name} AS\n${body}`);
    await c.query('RELEASE SAVEPOINT view_shape');
  } catch (err) {
    // A view from an older snagsync whose columns changed: OR REPLACE cannot rename or drop them, so it is dropped
    // and created again (without CASCADE: a user's view built on it makes this fail, rather than vanish).
    if (!VIEW_SHAPE_CHANGED.has((err as { code?: string }).code ?? '')) throw err;
    await c.query('ROLLBACK TO SAVEPOINT view_shape');
    await c.query(`DROP VIEW ${name}`);
    await c.query(`CREATE VIEW ${name} AS\n${body}`);
  }
  await c.query(`COMMENT ON VIEW ${name} IS ${literal(`${view.question} (snagsync models)`)}`);
  for (const col of view.columns)
    await c.query(`COMMENT ON COLUMN ${name}.${quoteId(col.name)} IS ${literal(col.description)}`);
}

/**
 * A view's query as a function run with `jit = off`, and the view's body as a call to it: PostgreSQL decides to
 * JIT-compile from the plan's estimated cost, and release_health's index probes (thousands of cheap lookups, priced
 * high) cross that threshold, so each query paid a compilation longer than its run (bench/views.ts). The function's
 * columns are the query's, read from a temporary view of it.
 */
async function withoutJit(c: pg.PoolClient, schema: string, view: ViewDefinition): Promise<string> {
  const fn = `${schema}.${quoteId(`_snagsync_${view.name}`)}`;
  const body = view.sql(postgres);
  await c.query(`CREATE TEMP VIEW _snagsync_shape AS\n${body}`);
  const cols = await c.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = 'pg_temp._snagsync_shape'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  await c.query('DROP VIEW pg_temp._snagsync_shape');
  const returns = cols.rows.map((r) => `${quoteId(r.name)} ${r.type}`).join(', ');
  const create = `CREATE OR REPLACE FUNCTION ${fn}() RETURNS TABLE (${returns}) LANGUAGE sql STABLE
    SET jit = off SET search_path = ${schema} AS $view$\n${body}\n$view$`;
  await c.query('SAVEPOINT view_function');
  try {
    await c.query(create);
    await c.query('RELEASE SAVEPOINT view_function');
  } catch (err) {
    // Its columns changed (an older snagsync's): the view over it and the function are made again.
    if ((err as { code?: string }).code !== '42P13') throw err;
    await c.query('ROLLBACK TO SAVEPOINT view_function');
    await c.query(`DROP VIEW IF EXISTS ${schema}.${quoteId(view.name)}`);
    await c.query(`DROP FUNCTION ${fn}()`);
    await c.query(create);
  }
  return `SELECT * FROM ${fn}()`;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
