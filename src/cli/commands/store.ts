import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { keyFilePath, MASTER_KEY_ENV } from '../../credentials/keyfile.js';
import {
  configuredDatabaseUrl,
  DATABASE_URL_ENV,
  expandPath,
  isStaleRun,
  metadataDbPath,
  openPostgresStore,
  openSqliteStore,
  parseStoreDatabaseUrl,
  applyingNow,
  type ImportSummary,
  type Store,
  type StoreContents,
  type TableSummary,
} from '../../store/index.js';
import type { CommandGroup } from '../context.js';
import { notice, printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';

/**
 * `snagsync store info` says which metadata store this process uses; `snagsync store migrate` copies a SQLite store
 * (a home folder's snagsync.db) into PostgreSQL, so that several machines can share it.
 */
export const registerStore: CommandGroup = ({ command, io }) => {
  const group = command;

  group
    .command('info')
    .description(
      'show which metadata store is used (the SQLite file in the home, or PostgreSQL), its schema version and what it holds',
    )
    .option('--json', 'print JSON')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const info = {
          kind: rt.store.kind,
          location: rt.store.location,
          schema_version: await rt.store.schemaVersion(),
          credentials: (await rt.store.credentials.list()).length,
          sources: (await rt.store.sources.list()).length,
          key_ids: await rt.store.credentials.keyIdsInUse(),
        };
        if (flags.json) return printJson(io, info);
        printLine(
          io,
          `${info.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} metadata store ${info.location} (schema ${info.schema_version})`,
        );
        printLine(
          io,
          `${info.credentials} credential(s), ${info.sources} source(s)${info.key_ids.length ? `; tokens sealed with master key ${info.key_ids.join(', ')}` : ''}`,
        );
      });
    });

  group
    .command('migrate')
    .description(
      'copy a SQLite metadata store (credentials still sealed, sources, schedules, runs and their history, destinations and write-back journals) into PostgreSQL; safe to run again',
    )
    .requiredOption('--from <home>', 'the snagsync home folder holding snagsync.db (e.g. ~/.snagsync)')
    .option(
      '--to <url>',
      `the PostgreSQL URL to copy into (postgres://user@host:5432/db[?schema=snagsync]); default ${DATABASE_URL_ENV}`,
    )
    .option('--json', 'print the summary as JSON')
    .action(async function (this: Command) {
      const flags = this.opts<{ from: string; to?: string; json?: boolean }>();
      const home = expandPath(flags.from, process.cwd());
      const file = metadataDbPath(home);
      if (!existsSync(file)) {
        throw new SnagError('config', `There is no snagsync metadata store in ${home} (${file} does not exist).`, {
          hint: 'Give --from the snagsync home folder that holds snagsync.db (by default ~/.snagsync, or what SNAGSYNC_HOME pointed to).',
          details: { field: '--from' },
        });
      }
      const toText = flags.to ?? configuredDatabaseUrl(io.env);
      if (!toText) {
        throw new SnagError(
          'usage',
          `Say which PostgreSQL database to copy into: --to postgres://… (or set ${DATABASE_URL_ENV}).`,
          { details: { field: '--to' } },
        );
      }
      const to = parseStoreDatabaseUrl(toText, flags.to ? '--to' : DATABASE_URL_ENV);
      const source = openSqliteStore(file);
      const target = openPostgresStore(to);
      try {
        await refuseLiveRuns(source);
        const contents = await source.contents();
        refuseLiveApplies(contents);
        const summary = await target.importContents(contents);
        if (flags.json) printJson(io, { from: file, to: target.location, ...summary });
        else {
          printLine(io, `Copied ${file} into ${target.location}:`);
          printLine(io, table(summaryRows(summary), ['table', 'new', 'updated', 'unchanged', 'kept']));
        }
        const kept = summary.writeback_journals.kept! + summary.writeback_rows.kept!;
        if (kept > 0) {
          notice(
            io,
            `${kept} write-back journal(s) or row(s) ${target.location} holds in a later state (an apply there went further) were kept as they are.`,
          );
        }
        if (summary.key_ids.length) {
          const keyFile = keyFilePath(home);
          notice(
            io,
            `The tokens are still sealed with master key ${summary.key_ids.join(', ')}: give every snagsync process that uses this database that key ` +
              `(${existsSync(keyFile) ? `copy ${keyFile} into its home, or ` : ''}set ${MASTER_KEY_ENV}).`,
          );
        }
        notice(
          io,
          'Checkpoints stay with each source’s destination, which the copied sources still name: syncs resume where they stopped.',
        );
      } finally {
        await source.close();
        await target.close();
      }
    });
};

/** A run still going in the SQLite store would go on writing there, not into the copy. */
async function refuseLiveRuns(store: Store): Promise<void> {
  const live = (await store.runs.list({ status: 'running', limit: 10_000 })).filter((r) => !isStaleRun(r));
  if (live.length > 0) {
    throw new SnagError(
      'conflict',
      `A sync is running on this store right now (run ${live.map((r) => r.id).join(', ')}).`,
      {
        hint: 'Wait for it to finish (snagsync runs list shows it), then copy the store.',
        details: { runs: live.map((r) => r.id) },
      },
    );
  }
}

/**
 * An apply going on in this machine's SQLite store would go on journaling there, not into the copy. Like a sync run
 * whose process is gone, an apply left `running` by a process that is gone is copied as it is: the next apply of that
 * input (or of that destination) finds its process gone and takes over. One marked by another machine is copied as
 * it is too: a SQLite file is written from its own machine, and in PostgreSQL it is held exactly as it was in SQLite.
 */
function refuseLiveApplies(contents: StoreContents): void {
  const here = hostname();
  const live = (j: { status: string; pid: number | null; hostname: string | null; started_at: string }) =>
    j.hostname === here && applyingNow(j);
  const runs = contents.sinkRuns.filter(live).map((r) => r.id);
  const journals = contents.writebackJournals.filter(live).map((j) => j.id);
  if (runs.length + journals.length > 0) {
    const what = [...runs.map((id) => `destination run ${id}`), ...journals.map((id) => `journal ${id}`)];
    throw new SnagError('conflict', `A write-back is being applied on this store right now (${what.join(', ')}).`, {
      hint: 'Wait for it to finish (it journals every row), then copy the store.',
      details: { sink_runs: runs, writeback_journals: journals },
    });
  }
}

function summaryRows(summary: ImportSummary): Array<Record<string, string>> {
  const row = (name: string, t: TableSummary) => ({
    table: name,
    new: String(t.inserted),
    updated: String(t.updated),
    unchanged: String(t.unchanged),
    kept: t.kept === undefined ? '' : String(t.kept),
  });
  return [
    row('credentials', summary.credentials),
    row('sources', summary.sources),
    row('runs', summary.runs),
    row('run streams', summary.run_streams),
    row('destinations', summary.data_sinks),
    row('destination runs', summary.sink_runs),
    row('write-back journals', summary.writeback_journals),
    row('write-back rows', summary.writeback_rows),
    row('webhook secrets', summary.webhook_settings),
    row('users', summary.users),
    row('api tokens', summary.api_tokens),
  ];
}
