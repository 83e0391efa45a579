import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination, type RunRecord, type RunStreamCounts } from '../../src/destinations/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import { recordStoredRun } from '../../src/engine/lineage.js';
import type { Simulator } from '../../src/sim/index.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { requireService } from '../helpers/services.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * Lineage against the simulator, in every destination: each row names the run that last wrote it (`_run_id`), and
 * `_snagsync_runs` / `_snagsync_run_streams` (JSONL: `_snagsync_runs.jsonl`) say what each run was and wrote — the
 * counts equal to the run's own summary, the statuses those of succeeded, failed, cancelled and killed runs.
 */
const HAS_PG = requireService('postgres');
const STREAMS = ['projects', 'errors', 'comments', 'events', 'releases', 'trends'];

let sim: Simulator;
let h: Home;
const schemas: string[] = [];

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 40, events: 300, releases: 8 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
  for (const s of schemas) await dropSchema(s);
});

type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];

function destinationFor(kind: Kind, name: string): { url: string; schema?: string } {
  if (kind === 'sqlite') return { url: `sqlite:${join(h.home, `${name}.db`)}` };
  if (kind === 'jsonl') return { url: `jsonl:${join(h.home, name)}` };
  const schema = uniqueSchema('snag_lineage');
  schemas.push(schema);
  return { url: pgDestinationUrl(schema), schema };
}

/** Per stream table, how many rows each run id last wrote (JSONL: how many lines each run appended). */
async function rowsByRun(kind: Kind, url: string, schema?: string): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  const add = (table: string, run: string | null, n: number) => {
    out[table] ??= {};
    out[table][String(run)] = (out[table][String(run)] ?? 0) + n;
  };
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      const tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'`)
        .all() as Array<{ name: string }>;
      for (const { name } of tables)
        for (const r of db.prepare(`SELECT _run_id AS run, count(*) AS n FROM "${name}" GROUP BY 1`).all() as Array<{
          run: string | null;
          n: number;
        }>)
          add(name, r.run, r.n);
    } finally {
      db.close();
    }
  } else if (kind === 'postgres') {
    const tables = await adminQuery<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT LIKE '\\_%'`,
      [schema],
    );
    for (const { t } of tables)
      for (const r of await adminQuery<{ run: string | null; n: string }>(
        `SELECT _run_id AS run, count(*) AS n FROM "${schema}"."${t}" GROUP BY 1`,
      ))
        add(t, r.run, Number(r.n));
  } else {
    const dir = url.slice('jsonl:'.length);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl') && !x.startsWith('_'))) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
        add(f.replace(/\.jsonl$/, ''), (JSON.parse(line) as { _run_id: string | null })._run_id, 1);
    }
  }
  return out;
}

async function runsOf(url: string): Promise<Array<RunRecord & { streams: RunStreamCounts[] }>> {
  const dest = await openDestination(url);
  try {
    return await dest.listRuns!();
  } finally {
    await dest.close();
  }
}

/** The run's records per stream, summed over partitions, as the destination counted them. */
function perStream(counts: readonly RunStreamCounts[]): Record<string, { read: number; written: number }> {
  const out: Record<string, { read: number; written: number }> = {};
  for (const c of counts) {
    const s = (out[c.stream] ??= { read: 0, written: 0 });
    s.read += c.recordsRead;
    s.written += c.recordsWritten;
  }
  return out;
}

/** The run's records per stream as its summary (the run history) counts them. */
function summaryPerStream(summary: RunSummary): Record<string, { read: number; written: number }> {
  return Object.fromEntries(
    summary.streams.map((s) => [s.stream, { read: s.records_read, written: s.records_written }]),
  );
}

async function sync(source: string, opts: Parameters<typeof startRun>[2] = {}): Promise<RunSummary> {
  return (await startRun(h.runtime, source, opts)).done;
}

describe.each(KINDS)('lineage in a %s destination', (kind) => {
  let url: string;
  let schema: string | undefined;
  let source: string;
  let sourceId: string;
  let first: RunSummary;

  beforeAll(async () => {
    ({ url, schema } = destinationFor(kind, `lineage-${kind}`));
    const s = await h.source({ destination: url, streams: STREAMS });
    source = s.name;
    sourceId = s.id;
    first = await sync(source, { trigger: 'api' });
  });

  it('every row of every stream table names the run that wrote it, and _snagsync_runs has the run with its exact counts', async () => {
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    const byRun = await rowsByRun(kind, url, schema);
    // The stream tables, and the errors' history (its rows name the run that observed each state).
    expect(Object.keys(byRun).sort()).toEqual([...STREAMS, 'error_history'].sort());
    for (const [table, runs] of Object.entries(byRun)) expect(Object.keys(runs), table).toEqual([first.run_id]);

    const runs = await runsOf(url);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({
      runId: first.run_id,
      sourceId,
      sourceName: source,
      trigger: 'api',
      status: 'succeeded',
      error: null,
    });
    expect(Date.parse(run.startedAt)).toBeLessThanOrEqual(Date.parse(run.endedAt!));
    // Counted with each page, in its transaction: what the run history says it read and wrote, stream by stream.
    expect(perStream(run.streams)).toEqual(summaryPerStream(first));
    // A first sync writes each record once: the rows are the records written.
    for (const [stream, c] of Object.entries(perStream(run.streams)))
      expect(byRun[stream]![first.run_id], stream).toBe(c.written);
    expect(run.streams.every((c) => c.partition === '' || /^(project|organization):/.test(c.partition))).toBe(true);
  });

  it('a second sync takes only the rows it wrote: new events get its id, events it did not read keep the first', async () => {
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const added = sim.addEvents({ projectId: pid, count: 12 });
    const later = new Date(Date.parse(added.at(-1)!.received_at) + 2000);
    const second = await sync(source, { now: later, streams: ['events'] });
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    const byRun = await rowsByRun(kind, url, schema);
    const events = byRun.events!;
    const written = summaryPerStream(second).events!.written;
    expect(written).toBeGreaterThanOrEqual(added.length);
    expect(events[second.run_id]).toBe(written);
    expect(events[first.run_id]).toBeGreaterThan(0);
    // Every row was written by one of the two runs: the second took only the rows it wrote.
    expect(Object.keys(events).sort()).toEqual([first.run_id, second.run_id].sort());
    // Streams the second run did not read keep the first run's id on every row.
    for (const stream of STREAMS.filter((s) => s !== 'events'))
      expect(Object.keys(byRun[stream]!)).toEqual([first.run_id]);
    const runs = await runsOf(url);
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      [first.run_id, 'succeeded'],
      [second.run_id, 'succeeded'],
    ]);
    expect(perStream(runs[1]!.streams)).toEqual(summaryPerStream(second));
  });

  it('a cancelled run is recorded cancelled, with what it wrote before it stopped', async () => {
    const pid = sim.info().organizations[0]!.projects[1]!.id;
    sim.addEvents({ projectId: pid, count: 5 });
    const run = await startRun(h.runtime, source, { fullRefresh: true, streams: ['events'] });
    const off = run.events.subscribe((e) => {
      if (e.type === 'page' && e.stream === 'events') run.cancel();
    });
    const summary = await run.done;
    off();
    expect(summary.status).toBe('cancelled');
    const recorded = (await runsOf(url)).find((r) => r.runId === summary.run_id)!;
    expect(recorded.status).toBe('cancelled');
    expect(recorded.endedAt).not.toBeNull();
    expect(recorded.error).toMatch(/cancel/i);
    expect(perStream(recorded.streams).events?.written ?? 0).toBe(summaryPerStream(summary).events?.written ?? 0);
  });

  it('a failed run is recorded failed with its error; a run killed before its end is marked failed by the next run', async () => {
    // A run that a kill -9 stopped: its row says running and nothing ever ends it.
    const dest = await openDestination(url);
    const killed = {
      runId: `run_killed_${kind}`,
      sourceId,
      sourceName: source,
      trigger: 'cli',
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      endedAt: null,
      status: 'running' as const,
      error: null,
    };
    await dest.recordRun!(killed);
    await dest.close();

    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    sim.revokeToken(admin);
    let failed: RunSummary;
    try {
      failed = await sync(source, { streams: ['events'] });
    } finally {
      sim.restoreToken(admin);
    }
    expect(failed.status).toBe('failed');
    const runs = await runsOf(url);
    expect(runs.find((r) => r.runId === killed.runId)).toMatchObject({
      status: 'failed',
      endedAt: null,
      error: expect.stringMatching(/stopped without finishing/),
    });
    expect(runs.find((r) => r.runId === failed.run_id)).toMatchObject({
      status: 'failed',
      error: failed.error!.message,
    });
  });
});

describe('a run kept in the store (a cluster run: its plan starts it, its last unit ends it)', () => {
  it('is written into its source’s destination as the store has it: running, then ended with its status and error', async () => {
    const { url } = destinationFor('sqlite', 'lineage-stored');
    const s = await h.source({ destination: url, streams: ['events'] });
    const dest = await openDestination(url);
    await dest.prepare([]);
    await dest.close();
    const run = await h.runtime.store.runs.create({ source_id: s.id, trigger: 'schedule', options: {} });
    await recordStoredRun(h.runtime, run.id);
    expect(await runsOf(url)).toEqual([
      {
        runId: run.id,
        sourceId: s.id,
        sourceName: s.name,
        trigger: 'schedule',
        startedAt: run.started_at,
        endedAt: null,
        status: 'running',
        error: null,
        streams: [],
      },
    ]);
    const error = { error: 'rate_limited', message: 'Bugsnag kept refusing requests.' };
    const ended = await h.runtime.store.runs.finish(run.id, { status: 'failed', error });
    await recordStoredRun(h.runtime, run.id);
    expect(await runsOf(url)).toMatchObject([
      { runId: run.id, status: 'failed', endedAt: ended.finished_at, error: error.message },
    ]);
  });
});
