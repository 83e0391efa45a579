import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import { existsSync } from 'node:fs';
import { parseDestinationUrl } from '../../destinations/url.js';
// The options come from the source configuration's declaration, loaded with the command; the engine (client,
// runner, preview), the destinations and the store only when an action runs, so `sources --help` stays light.
import type { SourceInput } from '../../engine/index.js';
import { SOURCE_CONFIG_SHAPE } from '../../engine/source-config.js';
import { cliOptions } from '../../streams/options.js';
import type { FirstSyncEstimate } from '../../engine/preview.js';
import { formatDuration } from '../../core/time.js';
import type { Source } from '../../store/models.js';
import type { CommandGroup } from '../context.js';
import { commaList, numberOption } from '../options.js';
import { notice, printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';
import { namingOptions } from '../option-errors.js';

/**
 * `snagsync sources …`: create, list, show, update, remove, preview. A source is a credential plus what to read
 * (organizations, projects, streams, start date, filters, full reports), where to write it and when. The flags of
 * the source configuration and their help come from its one declaration (engine/source-config.ts).
 */
interface SourceFlags {
  name?: string;
  credential?: string;
  destination?: string;
  schedule?: string;
  status?: string;
  json?: boolean;
  [option: string]: unknown;
}

const collectRaw = (value: string, previous: string[] = []) => [...previous, value];

/** Words that reset a config value to its default (an empty list, all history, the default streams…). */
const CLEAR = ['none', 'default', ''];

/** One `--flag` per key of the source configuration, from its declaration (engine/source-config.ts). */
interface ConfigFlag {
  key: string;
  flag: string;
  kind: 'list' | 'raw-list' | 'boolean' | 'number' | 'string';
  option: (forUpdate: boolean) => Option;
}

function baseType(schema: z.ZodType): string {
  let def = schema._zod.def as { type: string; innerType?: z.ZodType };
  while ((def.type === 'optional' || def.type === 'nullable') && def.innerType)
    def = def.innerType._zod.def as typeof def;
  return def.type;
}

const CONFIG_FLAGS: readonly ConfigFlag[] = Object.entries(SOURCE_CONFIG_SHAPE).map(([key, schema]) => {
  const cli = cliOptions.get(schema) ?? {};
  const flag = cli.flag ?? key.replace(/_/g, '-');
  const meta = (schema.meta() ?? {}) as { description?: string; default?: unknown };
  const type = baseType(schema);
  const kind: ConfigFlag['kind'] =
    type === 'array'
      ? 'list'
      : type === 'union'
        ? 'raw-list'
        : type === 'boolean'
          ? 'boolean'
          : type === 'number'
            ? 'number'
            : 'string';
  const help = `${meta.description ?? key}${kind === 'list' || kind === 'raw-list' ? ' (repeatable)' : ''}${meta.default !== undefined && meta.default !== false ? ` (default ${String(meta.default)})` : ''}`;
  const placeholder = cli.placeholder ?? '<value>';
  return {
    key,
    flag,
    kind,
    option: (forUpdate) => {
      if (kind === 'boolean') return new Option(forUpdate ? `--${flag} [bool]` : `--${flag}`, help);
      const o = new Option(`--${flag} ${placeholder}`, help);
      if (kind === 'list') o.argParser(commaList);
      if (kind === 'raw-list') o.argParser(collectRaw);
      return o;
    },
  };
});

function sourceOptions(cmd: Command, forUpdate: boolean): Command {
  cmd
    .option('--credential <name-or-id>', 'the credential to read with')
    .option(
      '--destination <url>',
      'sqlite:PATH, jsonl:FOLDER or postgres://USER@HOST:PORT/DB?schema=NAME (default: sqlite:<home>/bugsnag.db)',
    )
    .option(
      '--schedule <when>',
      `"every 15m", "every 1h", "hourly", "daily", a cron expression ("*/5 * * * *", UTC unless led by CRON_TZ=Area/City), "continuous" (a light poll of events between syncs)${forUpdate ? ', or "none"' : ''}`,
    );
  for (const f of CONFIG_FLAGS) cmd.addOption(f.option(forUpdate));
  return cmd.option('--json', 'print the source as JSON');
}

function toInput(f: SourceFlags): SourceInput {
  const input: SourceInput = {};
  if (f.name !== undefined) input.name = f.name;
  if (f.credential !== undefined) input.credential = f.credential;
  if (f.destination !== undefined) input.destination = f.destination;
  if (f.schedule !== undefined) input.schedule = f.schedule;
  for (const c of CONFIG_FLAGS) {
    const raw = f[new Option(`--${c.flag}`).attributeName()];
    if (raw === undefined) continue;
    if (c.kind === 'boolean') input[c.key] = typeof raw === 'string' ? !/^(false|no|off|0)$/i.test(raw) : raw;
    else if (Array.isArray(raw))
      input[c.key] = raw.length === 0 || raw.some((v) => CLEAR.includes(String(v).trim())) ? null : raw;
    else if (typeof raw === 'string' && CLEAR.includes(raw.trim())) input[c.key] = null;
    // The schema judges the number (a word is "… must be a number" on this option).
    else if (c.kind === 'number') input[c.key] = /^\s*-?\d+(\.\d+)?\s*$/.test(String(raw)) ? Number(raw) : raw;
    else input[c.key] = raw;
  }
  if (f.status !== undefined) {
    if (f.status !== 'active' && f.status !== 'paused')
      throw new SnagError('config', '--status is active or paused.', { details: { field: 'status' } });
    input.status = f.status;
  }
  return input;
}

/** A config error names its option, as the user typed it. */
function forCli(err: unknown): unknown {
  return namingOptions(err, (field) => FLAG_OF[field] ?? field.replace(/_/g, '-'));
}

const FLAG_OF: Record<string, string> = Object.fromEntries(CONFIG_FLAGS.map((c) => [c.key, c.flag]));

export const registerSources: CommandGroup = ({ command: group, io }) => {
  sourceOptions(
    group.command('create').description('create a source').requiredOption('--name <name>', 'a name for the source'),
    false,
  ).action(async function (this: Command) {
    const flags = this.opts<SourceFlags>();
    // Required, as --name is: a missing option is a usage error (exit 2) on every command.
    if (flags.credential === undefined)
      throw new SnagError('usage', "required option '--credential <name-or-id>' not specified", {
        hint: 'Give the credential to read with (snagsync credentials list shows them).',
      });
    if (flags.destination !== undefined) await assertReachable(flags.destination);
    const { createSource, describeSource } = await engine();
    await withRuntime(io, async (rt) => {
      const { source, warnings } = await createSource(rt, toInput(flags), { cwd: process.cwd() }).catch(
        (e: unknown) => {
          throw forCli(e);
        },
      );
      for (const w of warnings) notice(io, `warning: ${w}`);
      if (flags.json) return printJson(io, describeSource(source));
      printLine(io, `Created source "${source.name}" (${source.id}) → ${source.destination}`);
      printLine(io, `Sync it now: snagsync sync ${quote(source.name)}`);
    });
  });

  group
    .command('list')
    .description('list sources: status, credential, streams, destination, schedule, last run')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const sources = await rt.store.sources.list();
        if (flags.json) {
          const { describeSource } = await engine();
          return printJson(io, sources.map(describeSource));
        }
        if (sources.length === 0)
          return notice(io, 'No sources yet. Create one: snagsync sources create --name NAME --credential CREDENTIAL');
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
        printLine(
          io,
          table(rows, ['name', 'status', 'credential', 'streams', 'destination', 'schedule', 'next run', 'last run']),
        );
      });
    });

  group
    .command('show')
    .description('show a source: its config, effective options, last run and checkpoints')
    .argument('<source>', 'source name or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      const { describeSource } = await engine();
      await withRuntime(io, async (rt) => {
        const source = await rt.store.sources.findByNameOrId(ref);
        const view = { ...describeSource(source), checkpoints: await checkpoints(source) };
        if (flags.json) return printJson(io, view);
        const credential = source.credential_id
          ? await rt.store.credentials.findByNameOrId(source.credential_id).catch(() => null)
          : null;
        const last = source.last_run_id ? await rt.store.runs.get(source.last_run_id) : null;
        printLine(io, formatShow(view, credential?.name ?? null, last));
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
    const { updateSource, describeSource } = await engine();
    await withRuntime(io, async (rt) => {
      const { source, warnings } = await updateSource(rt, ref, toInput(flags), { cwd: process.cwd() }).catch(
        (e: unknown) => {
          throw forCli(e);
        },
      );
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
      const { removeSource } = await engine();
      await withRuntime(io, async (rt) => {
        const removed = await removeSource(rt, ref);
        if (flags.json) return printJson(io, removed);
        printLine(io, `Removed source "${removed.name}". Its data stays in ${removed.destination}.`);
      });
    });

  group
    .command('webhook')
    .description("show the source's Bugsnag webhook path (made on first use), switch it, or replace its secret")
    .argument('<source>', 'source name or id')
    .option('--rotate', 'replace the secret: the old URL stops working at once')
    .addOption(new Option('--enable', 'accept its webhook messages').conflicts('disable'))
    .addOption(new Option('--disable', 'refuse its webhook messages (answered 404, as a wrong URL)'))
    .option('--json', 'print {"path","enabled","last_received_at","received","failed",…}')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ rotate?: boolean; enable?: boolean; disable?: boolean; json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const source = await rt.store.sources.findByNameOrId(ref);
        // Loaded when the command runs, as serve loads the server: other commands need none of it.
        const { ensureWebhook, rotateWebhook, webhookPath } = await import('../../engine/webhooks/secret.js');
        const { DEFAULT_MAX_ATTEMPTS } = await import('../../engine/webhooks/inbox.js');
        let w = flags.rotate ? await rotateWebhook(rt, source.id) : await ensureWebhook(rt, source.id);
        if (flags.enable || flags.disable) {
          w = { ...w, settings: (await rt.store.webhooks.setEnabled(source.id, flags.enable === true)) ?? w.settings };
        }
        const counts = await rt.store.webhooks.counts(source.id, DEFAULT_MAX_ATTEMPTS);
        const path = webhookPath(source.id, w.secret);
        const view = { path, enabled: w.settings.enabled, rotated_at: w.settings.rotated_at, ...counts };
        // The path holds the secret, printed on purpose: it bypasses the redacting printers (as serve's new key does).
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(view)}\n`);
          return;
        }
        io.stdout.write(
          [
            `Webhook of source "${source.name}": ${view.enabled ? 'on' : 'off (messages are answered 404)'}`,
            `  path: ${path}`,
            '  URL for Bugsnag: the address snagsync serve is reached at from the internet, followed by the path.',
            '  In Bugsnag: Project settings → Integrations → Webhook; paste the URL and pick the triggers.',
            `  received: ${counts.received} (last ${counts.last_received_at ?? 'never'}), failed: ${counts.failed}, waiting: ${counts.pending}`,
            flags.rotate ? '  The secret was replaced: give Bugsnag the new URL.' : '',
            '',
          ]
            .filter((line, i, all) => line !== '' || i === all.length - 1)
            .join('\n'),
        );
      });
    });

  group
    .command('preview')
    .description('read a few records of one stream, saving nothing (a test of the source)')
    .argument('<source>', 'source name or id')
    .requiredOption('--stream <stream>', 'the stream to preview')
    .option('--limit <n>', 'how many records (at most 100)', '5')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ stream: string; limit: string; json?: boolean }>();
      const limit = numberOption('limit', flags.limit, { min: 1, max: 100 });
      const { previewStream } = await engine();
      await withRuntime(io, async (rt) => {
        const result = await previewStream(rt, ref, flags.stream, { limit, estimate: true });
        if (flags.json) return printJson(io, result);
        if (result.first_sync) notice(io, firstSyncText(result.first_sync));
        notice(
          io,
          `${result.records.length} ${result.stream} record(s) from ${result.partition.name ?? (result.partition.key || 'the account')} (${result.requests} request(s); nothing saved)`,
        );
        for (const r of result.records) printLine(io, JSON.stringify(r));
      });
    });
};

/** The engine, imported when an action runs (not when the command is declared or its help printed). */
const engine = () => import('../../engine/index.js');

/** The checkpoints in the destination, summarised (read-only: a running sync is not disturbed). */
/**
 * A destination that cannot be opened is refused before the source is saved: a SQLite file or JSONL folder whose
 * nearest existing folder is not a writable folder, or a PostgreSQL server that does not let us connect (exit 7,
 * what failed and what to do). A malformed URL is left to the source's own check (exit 3).
 */
async function assertReachable(url: string): Promise<void> {
  let target: ReturnType<typeof parseDestinationUrl>;
  try {
    target = parseDestinationUrl(url);
  } catch {
    return;
  }
  if (target.kind === 'postgres') {
    const [{ createPool, endpointOf }, { pgDestinationError }] = await Promise.all([
      import('../../destinations/postgres/connect.js'),
      import('../../destinations/postgres/errors.js'),
    ]);
    const pool = createPool(target, { max: 1, connectTimeoutMs: 5_000 });
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      throw pgDestinationError(err, endpointOf(target));
    } finally {
      await pool.end().catch(() => undefined);
    }
    return;
  }
  const { accessSync, constants, statSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const wanted = target.kind === 'sqlite' ? dirname(target.path) : target.dir;
  let dir = wanted;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const what = target.kind === 'sqlite' ? `the SQLite file ${target.path}` : `the JSONL folder ${target.dir}`;
  if (!statSync(dir).isDirectory())
    throw new SnagError('destination', `Cannot create ${what}: ${dir} is a file, not a folder.`, {
      hint: 'Give a path in a folder of yours (--destination sqlite:PATH or jsonl:FOLDER).',
      details: { field: 'destination' },
    });
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new SnagError('destination', `Cannot create ${what}: the folder ${dir} is not writable by this user.`, {
      hint: "Give a path in a folder you can write to, or change the folder's permissions.",
      details: { field: 'destination' },
    });
  }
}

/**
 * `sources show` for a person: what the source is, its effective options one per line, its last run, and per
 * stream how far it got; `--json` has the raw configuration and every checkpoint.
 */
function formatShow(
  view: Record<string, unknown>,
  credentialName: string | null,
  last: { id: string; status: string; started_at: string } | null,
): string {
  const text = (v: unknown): string =>
    v === null || v === undefined
      ? '-'
      : Array.isArray(v)
        ? v.join(', ') || '-'
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  const effective = (view.effective ?? {}) as Record<string, unknown>;
  const rows: Array<[string, string]> = [
    ['id', text(view.id)],
    ['status', `${text(view.status)}${view.status_reason ? ` (${text(view.status_reason)})` : ''}`],
    ['credential', credentialName ? `${credentialName} (${text(view.credential_id)})` : text(view.credential_id)],
    ['destination', text(view.destination)],
    ['schedule', `${text(view.schedule)}${view.next_run_at ? `, next run ${text(view.next_run_at)}` : ''}`],
    ['last run', last ? `${last.id} ${last.status} ${last.started_at}` : '-'],
    ...Object.entries(effective).map(([k, v]): [string, string] => [k.replace(/_/g, ' '), text(v)]),
  ];
  const cps = (view.checkpoints ?? []) as Array<{ stream: string; cursor?: unknown }>;
  const byStream = new Map<string, { partitions: number; cursor: string | null }>();
  for (const c of cps) {
    const b = byStream.get(c.stream) ?? { partitions: 0, cursor: null };
    b.partitions++;
    const cur = typeof c.cursor === 'string' ? c.cursor : null;
    if (cur && (!b.cursor || cur < b.cursor)) b.cursor = cur;
    byStream.set(c.stream, b);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`Source "${text(view.name)}"`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  if (byStream.size > 0) {
    lines.push('', 'Checkpoints (per stream: partitions, the oldest cursor):');
    for (const [stream, b] of byStream) lines.push(`  ${stream.padEnd(width)}  ${b.partitions}, ${b.cursor ?? '-'}`);
  } else lines.push('', 'Not synced yet.');
  lines.push('', `The raw configuration and every checkpoint: snagsync sources show ${quote(text(view.name))} --json`);
  return lines.join('\n');
}

async function checkpoints(source: Source): Promise<Array<Record<string, unknown>>> {
  try {
    const target = parseDestinationUrl(source.destination);
    // Never create an empty database or folder just to show there is nothing in it.
    if (target.kind !== 'postgres' && !existsSync(target.kind === 'sqlite' ? target.path : target.dir)) return [];
    const { openDestination } = await import('../../destinations/index.js');
    const dest = await openDestination(source.destination, { readOnly: true });
    try {
      const cps = await dest.readCheckpoints(source.id);
      return cps.map((c) => {
        const s = (c.state ?? {}) as Record<string, unknown>;
        const pass = s.pass as Record<string, unknown> | undefined;
        const backfill = s.backfill as Record<string, unknown> | undefined;
        return {
          stream: c.stream,
          partition: c.partition,
          cursor: s.cursor ?? null,
          last_completed_at: s.lastCompletedAt ?? null,
          last_full_pass_at: s.lastFullPassAt ?? null,
          pass_in_progress: pass ? { started_at: pass.startedAt ?? null, pages: pass.pages ?? null } : null,
          ...(backfill
            ? {
                backfill_in_progress: {
                  boundary: backfill.boundary ?? null,
                  windows_done: backfill.done ?? 0,
                  windows_left: Array.isArray(backfill.windows) ? backfill.windows.length : null,
                  records_written_of_current: (backfill.request as { written?: number } | undefined)?.written ?? null,
                },
              }
            : {}),
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

/** The first sync's estimate for the events stream, by each path (request time at the token's limit). */
function firstSyncText(f: FirstSyncEstimate): string {
  const per = `${f.limit} requests per ${formatDuration(f.window_ms)}${f.limit_observed ? ' (the limit Bugsnag announced to this credential)' : ' (assumed: no limit seen yet for this credential)'}`;
  const left = f.projects_not_counted ? ` (${f.projects_not_counted} more projects not counted)` : '';
  return [
    `First sync of events: about ${f.events.toLocaleString('en')} events in ${f.projects} project(s)${left}, at ${per}:`,
    `  list: ${f.list.requests.toLocaleString('en')} requests, at least ${formatDuration(f.list.ms)}`,
    `  bulk: ${f.bulk.requests.toLocaleString('en')} requests (${f.bulk.exports} event data request(s)), at least ${formatDuration(f.bulk.ms)} of requests, plus Bugsnag's preparation of each export and the download`,
    `  this source (--events-backfill): bulk for ${f.chosen.bulk} project(s), list for ${f.chosen.list}`,
  ].join('\n');
}

function quote(name: string): string {
  return /^[\w.-]+$/.test(name) ? name : `"${name.replace(/"/g, '\\"')}"`;
}
