import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { existsSync } from 'node:fs';
import { openDestination, parseDestinationUrl } from '../../destinations/index.js';
import { createSource, describeSource, previewStream, removeSource, updateSource, type SourceInput } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import type { CommandGroup } from '../context.js';
import { commaList } from '../options.js';
import { notice, printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';
import { namingOptions } from '../option-errors.js';

/**
 * `snagsync sources …`: create, list, show, update, remove, preview. A source is a credential plus what to read
 * (organizations, projects, streams, start date, filters, full reports), where to write it and when.
 */
interface SourceFlags {
  name?: string;
  credential?: string;
  org?: string[];
  project?: string[];
  excludeProject?: string[];
  streams?: string;
  startDate?: string;
  fullReports?: boolean;
  filter?: string[];
  destination?: string;
  schedule?: string;
  lookback?: string;
  errorsFullPass?: string;
  releasesFullPass?: string;
  concurrency?: string;
  status?: string;
  json?: boolean;
}

const collectRaw = (value: string, previous: string[] = []) => [...previous, value];

function sourceOptions(cmd: Command, forUpdate: boolean): Command {
  return cmd
    .option('--credential <name-or-id>', 'the credential to read with')
    .option('--org <id>', 'only this organization (repeatable; default: every organization the token reaches)', commaList)
    .option('--project <id>', 'only this project (repeatable; default: every project)', commaList)
    .option('--exclude-project <id>', 'leave this project out (repeatable)', commaList)
    .option('--streams <a,b,…>', 'streams to read (default: all but the heavy ones; see `snagsync streams`)')
    .option('--start-date <time>', 'oldest data to read: ISO 8601 or relative (7d, 24h)')
    .option(forUpdate ? '--full-reports [bool]' : '--full-reports', 'events as full reports (threads, breadcrumbs, metaData): heavy')
    .option('--filter <FIELD=VALUE>', 'a Bugsnag filter, FIELD=VALUE or FIELD!=VALUE (repeatable)', collectRaw)
    .option('--destination <url>', 'sqlite:PATH or jsonl:FOLDER (default: sqlite:<home>/bugsnag.db)')
    .option('--schedule <when>', `"every 15m", "every 1h", "hourly", "daily"${forUpdate ? ', or "none"' : ''}`)
    .option('--lookback <duration>', 'how far each incremental pass reaches back for late arrivals (default 15m)')
    .option('--errors-full-pass <duration>', 'how often errors get a full pass to catch status changes (default 1d)')
    .option('--releases-full-pass <duration>', 'how often releases get a full pass to refresh their session counts (default 1d)')
    .option('--concurrency <n>', 'projects read at once (default 1; at most the token\'s in-flight cap)')
    .option('--json', 'print the source as JSON');
}

function toInput(f: SourceFlags): SourceInput {
  const input: SourceInput = {};
  if (f.name !== undefined) input.name = f.name;
  if (f.credential !== undefined) input.credential = f.credential;
  if (f.org !== undefined) input.organizations = f.org;
  if (f.project !== undefined) input.projects = f.project;
  if (f.excludeProject !== undefined) input.exclude_projects = f.excludeProject;
  if (f.streams !== undefined) input.streams = f.streams.trim() === '' || f.streams === 'default' ? null : f.streams.split(',');
  if (f.startDate !== undefined) input.start_date = ['none', ''].includes(f.startDate.trim()) ? null : f.startDate;
  if (f.fullReports !== undefined) input.full_reports = typeof f.fullReports === 'string' ? !/^(false|no|off|0)$/i.test(f.fullReports) : f.fullReports;
  if (f.filter !== undefined) input.filters = f.filter.includes('none') ? [] : f.filter;
  if (f.destination !== undefined) input.destination = f.destination;
  if (f.schedule !== undefined) input.schedule = f.schedule;
  if (f.lookback !== undefined) input.lookback = f.lookback;
  if (f.errorsFullPass !== undefined) input.errors_full_pass_interval = f.errorsFullPass;
  if (f.releasesFullPass !== undefined) input.releases_full_pass_interval = f.releasesFullPass;
  if (f.concurrency !== undefined) {
    const n = Number(f.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 8) throw new SnagError('config', '--concurrency must be a whole number from 1 to 8.', { details: { field: 'concurrency' } });
    input.concurrency = n;
  }
  if (f.status !== undefined) {
    if (f.status !== 'active' && f.status !== 'paused') throw new SnagError('config', '--status is active or paused.', { details: { field: 'status' } });
    input.status = f.status;
  }
  return input;
}

/** A config error names its option, as the user typed it. */
function forCli(err: unknown): unknown {
  return namingOptions(err, (field) => FLAG_OF[field] ?? field.replace(/_/g, '-'));
}

const FLAG_OF: Record<string, string> = {
  organizations: 'org',
  projects: 'project',
  exclude_projects: 'exclude-project',
  filters: 'filter',
  errors_full_pass_interval: 'errors-full-pass',
  releases_full_pass_interval: 'releases-full-pass',
  start_date: 'start-date',
};

export const registerSources: CommandGroup = ({ command: group, io }) => {

  sourceOptions(group.command('create').description('create a source').requiredOption('--name <name>', 'a name for the source'), false).action(
    async function (this: Command) {
      const flags = this.opts<SourceFlags>();
      await withRuntime(io, async (rt) => {
        const { source, warnings } = await createSource(rt, toInput(flags), { cwd: process.cwd() }).catch((e: unknown) => {
          throw forCli(e);
        });
        for (const w of warnings) notice(io, `warning: ${w}`);
        if (flags.json) return printJson(io, describeSource(source));
        printLine(io, `Created source "${source.name}" (${source.id}) → ${source.destination}`);
        printLine(io, `Sync it now: snagsync sync ${quote(source.name)}`);
      });
    },
  );

  group
    .command('list')
    .description('list sources: status, credential, streams, destination, schedule, last run')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const sources = await rt.store.sources.list();
        if (flags.json) return printJson(io, sources.map(describeSource));
        if (sources.length === 0) return notice(io, 'No sources yet. Create one: snagsync sources create --name NAME --credential CREDENTIAL');
        const creds = new Map((await rt.store.credentials.list()).map((c) => [c.id, c.name]));
        const rows = [];
        for (const s of sources) {
          const last = s.last_run_id ? await rt.store.runs.get(s.last_run_id) : null;
          rows.push({
            name: s.name,
            status: s.status,
            credential: s.credential_id ? (creds.get(s.credential_id) ?? s.credential_id) : '-',
            streams: s.config.streams?.length ? String(s.config.streams.length) : 'default',
            destination: s.destination,
            schedule: s.schedule ?? '-',
            'next run': s.next_run_at ?? '-',
            'last run': last ? `${last.status} ${last.started_at}` : '-',
          });
        }
        printLine(io, table(rows, ['name', 'status', 'credential', 'streams', 'destination', 'schedule', 'next run', 'last run']));
      });
    });

  group
    .command('show')
    .description('show a source: its config, effective options, last run and checkpoints')
    .argument('<source>', 'source name or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const source = await rt.store.sources.findByNameOrId(ref);
        const view = { ...describeSource(source), checkpoints: await checkpoints(source) };
        if (flags.json) return printJson(io, view);
        printLine(io, JSON.stringify(view, null, 2));
      });
    });

  sourceOptions(
    group
      .command('update')
      .description('change a source (only the options given)')
      .argument('<source>', 'source name or id')
      .option('--name <name>', 'a new name')
      .option('--status <status>', 'active or paused (a paused source is not run by the scheduler)'),
    true,
  ).action(async function (this: Command, ref: string) {
    const flags = this.opts<SourceFlags>();
    await withRuntime(io, async (rt) => {
      const { source, warnings } = await updateSource(rt, ref, toInput(flags), { cwd: process.cwd() }).catch((e: unknown) => {
        throw forCli(e);
      });
      for (const w of warnings) notice(io, `warning: ${w}`);
      if (flags.json) return printJson(io, describeSource(source));
      printLine(io, `Updated source "${source.name}".`);
    });
  });

  group
    .command('remove')
    .description('remove a source and its run history (the synced data stays in its destination)')
    .argument('<source>', 'source name or id')
    .option('--json', 'print the removed source as JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const removed = await removeSource(rt, ref);
        if (flags.json) return printJson(io, removed);
        printLine(io, `Removed source "${removed.name}". Its data stays in ${removed.destination}.`);
      });
    });

  group
    .command('preview')
    .description('read a few records of one stream, saving nothing (a test of the source)')
    .argument('<source>', 'source name or id')
    .requiredOption('--stream <stream>', 'the stream to preview')
    .option('--limit <n>', 'how many records (default 5, at most 100)', '5')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ stream: string; limit: string; json?: boolean }>();
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new SnagError('usage', '--limit must be a positive whole number.');
      await withRuntime(io, async (rt) => {
        const result = await previewStream(rt, ref, flags.stream, { limit });
        if (flags.json) return printJson(io, result);
        notice(io, `${result.records.length} ${result.stream} record(s) from ${result.partition.name ?? (result.partition.key || 'the account')} (${result.requests} request(s); nothing saved)`);
        for (const r of result.records) printLine(io, JSON.stringify(r));
      });
    });
};

/** The checkpoints in the destination, summarised (read-only: a running sync is not disturbed). */
async function checkpoints(source: Source): Promise<Array<Record<string, unknown>>> {
  try {
    const target = parseDestinationUrl(source.destination);
    // Never create an empty database or folder just to show there is nothing in it.
    if (target.kind !== 'postgres' && !existsSync(target.kind === 'sqlite' ? target.path : target.dir)) return [];
    const dest = await openDestination(source.destination, { readOnly: true });
    try {
      const cps = await dest.readCheckpoints(source.id);
      return cps.map((c) => {
        const s = (c.state ?? {}) as Record<string, unknown>;
        const pass = s.pass as Record<string, unknown> | undefined;
        return {
          stream: c.stream,
          partition: c.partition,
          cursor: s.cursor ?? null,
          last_completed_at: s.lastCompletedAt ?? null,
          last_full_pass_at: s.lastFullPassAt ?? null,
          pass_in_progress: pass ? { started_at: pass.startedAt ?? null, pages: pass.pages ?? null } : null,
          updated_at: c.updatedAt,
        };
      });
    } finally {
      await dest.close();
    }
  } catch {
    return [];
  }
}

function quote(name: string): string {
  return /^[\w.-]+$/.test(name) ? name : `"${name.replace(/"/g, '\\"')}"`;
}
