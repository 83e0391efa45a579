import { createHash } from 'node:crypto';
import type { CompiledColumn, CompiledHistory, CompiledStream } from '../descriptor.js';
import type { ColumnType } from '../types.js';

/** PostgreSQL type per column type: the same columns as SQLite, typed strictly. */
export const PG_TYPES: Record<ColumnType, string> = {
  text: 'text',
  integer: 'bigint',
  real: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

export const STATE_TABLE = '_snagsync_state';

export function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export const RUNS_TABLE = '_snagsync_runs';
export const RUN_STREAMS_TABLE = '_snagsync_run_streams';

/** Lineage (see ../lineage.ts): a row per run, and its records per stream and partition counted with each page. */
export function runsDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, RUNS_TABLE)} (
  run_id      text PRIMARY KEY,
  source_id   text NOT NULL,
  source_name text,
  trigger     text,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  status      text NOT NULL,
  error       text
);
CREATE TABLE IF NOT EXISTS ${qualified(schema, RUN_STREAMS_TABLE)} (
  run_id          text NOT NULL,
  stream          text NOT NULL,
  partition       text NOT NULL,
  records_read    bigint NOT NULL,
  records_written bigint NOT NULL,
  pages           bigint NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (run_id, stream, partition)
)`;
}

/** Comments of snagsync's own tables, by table then column ('' is the table's own). */
export const OWN_TABLE_COMMENTS: Record<string, Record<string, string>> = {
  [STATE_TABLE]: {
    '': 'snagsync checkpoints: how far each source has read each stream in each partition, committed with the records.',
    source_id: 'The snagsync source.',
    stream: 'The stream (a table of this schema).',
    partition: "What the stream is read per: 'project:<id>', 'organization:<id>', or '' for the account.",
    state: "The engine's checkpoint (cursor, pass in progress), as JSON.",
    updated_at: 'When the checkpoint was last committed.',
  },
  [RUNS_TABLE]: {
    '': 'snagsync runs that wrote into this schema: one row per run, written when it starts and when it ends.',
    run_id: 'The run (the _run_id of the rows it wrote).',
    source_id: 'The snagsync source synced.',
    source_name: 'The source’s name when the run started.',
    trigger: 'What started the run: cli, schedule, api.',
    started_at: 'When the run started.',
    ended_at: 'When the run ended; NULL while it runs, or when it was killed (then status is failed).',
    status:
      'running, succeeded, partial, failed or cancelled. A run killed is failed once the next run of its source starts.',
    error: 'Why the run did not succeed.',
  },
  [RUN_STREAMS_TABLE]: {
    '': 'Records each run read and wrote, per stream and partition, counted in the transaction of each page.',
    run_id: 'The run (_snagsync_runs.run_id).',
    stream: 'The stream (a table of this schema).',
    partition: "What the stream was read for: 'project:<id>', 'organization:<id>', or '' for the account.",
    records_read: 'Records read from Bugsnag and handed to this schema.',
    records_written: 'Rows inserted or updated.',
    pages: 'Pages committed.',
    updated_at: 'When the last page was committed.',
  },
};

export function qualified(schema: string, table: string): string {
  return `${quoteId(schema)}.${quoteId(table)}`;
}

export function stateDdl(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, STATE_TABLE)} (
  source_id  text NOT NULL,
  stream     text NOT NULL,
  partition  text NOT NULL,
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (source_id, stream, partition)
)`;
}

/** The columns a row is written with, in COPY order: the typed ones, then the system ones. */
export function writtenColumns(s: CompiledStream): Array<{ name: string; type: string }> {
  return [
    ...s.columns.map((c) => ({ name: c.name, type: PG_TYPES[c.type] })),
    { name: '_record', type: 'jsonb' },
    { name: '_synced_at', type: 'timestamptz' },
    { name: '_source_id', type: 'text' },
    { name: '_run_id', type: 'text' },
  ];
}

export function createTableSql(schema: string, s: CompiledStream): string {
  const keys = new Set(s.descriptor.primaryKey);
  const cols = s.columns.map((c) => `  ${quoteId(c.name)} ${PG_TYPES[c.type]}${keys.has(c.name) ? ' NOT NULL' : ''}`);
  cols.push(
    '  "_record" jsonb NOT NULL',
    '  "_synced_at" timestamptz NOT NULL',
    '  "_source_id" text',
    '  "_run_id" text',
    '  "_deleted_at" timestamptz',
    `  PRIMARY KEY (${s.descriptor.primaryKey.map(quoteId).join(', ')})`,
  );
  return `CREATE TABLE ${qualified(schema, s.descriptor.name)} (\n${cols.join(',\n')}\n)`;
}

export function addColumnSql(schema: string, table: string, c: CompiledColumn): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${quoteId(c.name)} ${PG_TYPES[c.type]}`;
}

export function indexSql(schema: string, table: string, index: { name: string; columns: readonly string[] }): string {
  return `CREATE INDEX IF NOT EXISTS ${quoteId(index.name)} ON ${qualified(schema, table)} (${index.columns.map(quoteId).join(', ')})`;
}

/** A string as an SQL literal (COMMENT ON takes no parameters). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Fills a column added to an existing table from the stored records. The same rules as new writes, in SQL: a value
 * of the wrong JSON type is NULL (the record keeps it); timestamps in an ISO 8601 form are read, others stay NULL.
 */
export function backfillSql(schema: string, table: string, c: CompiledColumn): string {
  const lit = (path: readonly string[]) =>
    `'{${path
      .map((p) => `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
      .join(',')
      .replace(/'/g, "''")}}'`;
  // Alternative paths (ColumnSpec.or): the first that holds a value (JSON null counts as none), as new writes read it.
  const v = c.or.length
    ? `(COALESCE(${[c.path, ...c.or].map((p) => `NULLIF("_record" #> ${lit(p)}, 'null'::jsonb)`).join(', ')}))`
    : `("_record" #> ${lit(c.path)})`;
  const t = `jsonb_typeof${v}`;
  const s = `(${v} #>> '{}')`;
  const expr: Record<ColumnType, string> = {
    text: `CASE WHEN ${t} IN ('object', 'array') THEN ${v}::text ELSE ${s} END`,
    integer: `CASE WHEN ${t} = 'number' AND ${s} ~ '^-?[0-9]{1,15}$' THEN ${s}::bigint WHEN ${t} = 'boolean' THEN ${s}::boolean::int END`,
    real: `CASE WHEN ${t} = 'number' THEN ${s}::double precision WHEN ${t} = 'boolean' THEN ${s}::boolean::int END`,
    boolean: `CASE WHEN ${t} = 'boolean' THEN ${s}::boolean WHEN ${t} = 'number' THEN ${s}::numeric <> 0 WHEN ${s} IN ('true', 'false') THEN ${s}::boolean END`,
    timestamp: `CASE WHEN ${t} = 'string' AND ${s} ~ '^\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d(:?\\d\\d)?)$' THEN ${s}::timestamptz END`,
    json: v,
  };
  return `UPDATE ${qualified(schema, table)} SET ${quoteId(c.name)} = ${expr[c.type]}`;
}

/** The per-session staging table a page is copied into; its name changes with the column set. */
export function stagingTable(s: CompiledStream): { name: string; ddl: string } {
  const cols = writtenColumns(s);
  const sig = createHash('sha1')
    .update(`${s.descriptor.name}|${cols.map((c) => `${c.name}:${c.type}`).join(',')}`)
    .digest('hex')
    .slice(0, 16);
  const name = `_snagsync_load_${sig}`;
  // ON COMMIT DELETE ROWS: the table is created once per connection and emptied by every commit (and rollback).
  return {
    name,
    ddl: `CREATE TEMP TABLE IF NOT EXISTS ${quoteId(name)} (${cols.map((c) => `${quoteId(c.name)} ${c.type}`).join(', ')}) ON COMMIT DELETE ROWS`,
  };
}

export function copySql(staging: string, s: CompiledStream): string {
  return `COPY ${quoteId(staging)} (${writtenColumns(s)
    .map((c) => quoteId(c.name))
    .join(', ')}) FROM STDIN`;
}

/** Moves the staged page into the stream's table: new keys inserted, known keys updated in place. */
export function upsertSql(schema: string, staging: string, s: CompiledStream): string {
  const names = writtenColumns(s).map((c) => quoteId(c.name));
  const keys = new Set(s.descriptor.primaryKey.map(quoteId));
  const updates = names.filter((n) => !keys.has(n)).map((n) => `${n} = EXCLUDED.${n}`);
  // A row read again is in Bugsnag again: a deletion mark it carried is cleared.
  updates.push('"_deleted_at" = NULL');
  return (
    `INSERT INTO ${qualified(schema, s.descriptor.name)} (${names.join(', ')}) SELECT ${names.join(', ')} FROM ${quoteId(staging)} ` +
    `ON CONFLICT (${[...keys].join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

/**
 * A stream's history table (see HistorySpec), keyed by key + valid_from, with at most one open interval (valid_to
 * NULL) per key enforced by a partial unique index.
 */
export function historyDdl(schema: string, h: CompiledHistory): string[] {
  const cols = h.columns.map((c) => {
    const notNull = h.primaryKey.includes(c.name) || c.name === 'observed_by';
    return `  ${quoteId(c.name)} ${PG_TYPES[c.type]}${notNull ? ' NOT NULL' : ''}`;
  });
  cols.push(`  PRIMARY KEY (${h.primaryKey.map(quoteId).join(', ')})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, h.name)} (\n${cols.join(',\n')}\n)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteId(h.openIndex.name)} ON ${qualified(schema, h.name)} (${h.openIndex.columns.map(quoteId).join(', ')}) WHERE "valid_to" IS NULL`,
    ...h.indexes.map((i) => indexSql(schema, h.name, i)),
  ];
}

/**
 * The staged page's observed states into the history, as two statements of the page's transaction (after the
 * upsert, before COMMIT): the open intervals whose state differs are closed where the new one starts (`at`, always
 * after their valid_from), then every staged key without an open interval gets one — from the interval just closed,
 * or, for a key's first state, from HistorySpec.firstFrom or `at`. The same state changes nothing.
 */
export function historySql(
  schema: string,
  staging: string,
  h: CompiledHistory,
  lit: { at: string; by: string; runId: string },
): string {
  const t = qualified(schema, h.name);
  const on = (a: string) => h.key.map((k) => `${a}.${quoteId(k.name)} = s.${quoteId(k.from.name)}`).join(' AND ');
  const state = (a: string, names: (f: CompiledColumn) => string) =>
    `(${h.fields.map((f) => `${a}.${quoteId(names(f))}`).join(', ')})`;
  const at = `${lit.at}::timestamptz`;
  const f = h.firstFrom;
  const first = f
    ? `CASE WHEN s.${quoteId(f.when.name)} = ${literal(f.equals)} AND s.${quoteId(f.column.name)} <= ${at} THEN s.${quoteId(f.column.name)} ELSE ${at} END`
    : at;
  const names = h.columns.map((c) => quoteId(c.name)).join(', ');
  return `UPDATE ${t} h SET "valid_to" = GREATEST(${at}, h."valid_from" + interval '1 millisecond')
  FROM ${quoteId(staging)} s WHERE ${on('h')} AND h."valid_to" IS NULL
    AND ${state('h', (c) => c.name)} IS DISTINCT FROM ${state('s', (c) => c.name)};
INSERT INTO ${t} (${names})
  SELECT ${h.key.map((k) => `s.${quoteId(k.from.name)}`).join(', ')}, ${h.fields.map((c) => `s.${quoteId(c.name)}`).join(', ')},
    COALESCE((SELECT max(h."valid_to") FROM ${t} h WHERE ${on('h')}), ${first}), NULL, ${lit.by}, ${lit.runId}
  FROM ${quoteId(staging)} s WHERE NOT EXISTS (SELECT 1 FROM ${t} h WHERE ${on('h')} AND h."valid_to" IS NULL);`;
}
