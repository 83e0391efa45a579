import { existsSync } from 'node:fs';
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
  type ImportSummary,
  type Store,
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
      'copy a SQLite metadata store (credentials still sealed, sources, schedules, runs and their history) into PostgreSQL; safe to run again',
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
        const summary = await target.importContents(await source.contents());
        if (flags.json) printJson(io, { from: file, to: target.location, ...summary });
        else {
          printLine(io, `Copied ${file} into ${target.location}:`);
          printLine(io, table(summaryRows(summary), ['table', 'new', 'updated', 'unchanged']));
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

function summaryRows(summary: ImportSummary): Array<Record<string, string>> {
  const row = (name: string, t: TableSummary) => ({
    table: name,
    new: String(t.inserted),
    updated: String(t.updated),
    unchanged: String(t.unchanged),
  });
  return [
    row('credentials', summary.credentials),
    row('sources', summary.sources),
    row('runs', summary.runs),
    row('run streams', summary.run_streams),
  ];
}
