import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { openDestination } from '../../src/destinations/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { requireService } from '../helpers/services.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * `error_history` against the simulator, in every destination: a scripted scenario (a first sync; errors fixed,
 * reopened, re-graded and assigned, one seen by an incremental pass; a periodic full pass; syncs with nothing changed,
 * and a full refresh) ends with exactly the expected intervals, and the invariants hold in SQL: one open interval per
 * error, contiguous, never overlapping.
 */
const HAS_PG = requireService('postgres');
type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];
const DAY = 86_400_000;

interface Row {
  project_id: string;
  error_id: string;
  status: string | null;
  severity: string | null;
  assigned_collaborator_id: string | null;
  assigned_team_id: string | null;
  valid_from: string;
  valid_to: string | null;
  observed_by: string;
  _run_id: string | null;
}

const COLUMNS = [
  'project_id',
  'error_id',
  'status',
  'severity',
  'assigned_collaborator_id',
  'assigned_team_id',
  'valid_from',
  'valid_to',
  'observed_by',
  '_run_id',
] as const;

/** The invariants, as SQL a user could run (the same text in SQLite and PostgreSQL): each query must return nothing. */
const INVARIANTS: Record<string, string> = {
  'one open interval per error': `SELECT project_id, error_id FROM error_history GROUP BY project_id, error_id
    HAVING sum(CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END) <> 1`,
  'no empty or reversed interval': 'SELECT * FROM error_history WHERE valid_to IS NOT NULL AND valid_to <= valid_from',
  'no overlap': `SELECT a.error_id FROM error_history a JOIN error_history b
    ON a.project_id = b.project_id AND a.error_id = b.error_id AND a.valid_from < b.valid_from
    AND (a.valid_to IS NULL OR a.valid_to > b.valid_from)`,
  'contiguous: each closed interval is followed by one starting where it ends': `SELECT a.error_id FROM error_history a
    WHERE a.valid_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM error_history b
      WHERE b.project_id = a.project_id AND b.error_id = a.error_id AND b.valid_from = a.valid_to)`,
};

// A simulator and a home per destination: the scenario changes the simulator's errors.
let sim: Simulator;
let h: Home;
const schemas: string[] = [];

afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

function place(kind: Kind): { url: string; schema?: string } {
  if (kind === 'sqlite') return { url: `sqlite:${join(h.home, 'history.db')}` };
  if (kind === 'jsonl') return { url: `jsonl:${join(h.home, 'history')}` };
  const schema = uniqueSchema('snag_history');
  schemas.push(schema);
  return { url: pgDestinationUrl(schema), schema };
}

/** The intervals as stored (JSONL: the last line of each interval), ordered by error then valid_from. */
async function historyOf(kind: Kind, url: string, schema?: string): Promise<Row[]> {
  let rows: Row[];
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      rows = db.prepare(`SELECT ${COLUMNS.join(', ')} FROM error_history`).all() as Row[];
    } finally {
      db.close();
    }
  } else if (kind === 'postgres') {
    const raw = await adminQuery<Record<string, unknown>>(
      `SELECT ${COLUMNS.join(', ')} FROM "${schema}".error_history`,
    );
    rows = raw.map(
      (r) =>
        Object.fromEntries(
          COLUMNS.map((c) => [c, r[c] instanceof Date ? (r[c] as Date).toISOString() : (r[c] ?? null)]),
        ) as unknown as Row,
    );
  } else {
    const text = readFileSync(join(url.slice('jsonl:'.length), 'error_history.jsonl'), 'utf8');
    const latest = new Map<string, Row>();
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as Row;
      latest.set(JSON.stringify([r.project_id, r.error_id, r.valid_from]), r);
    }
    rows = [...latest.values()];
  }
  return rows.sort((a, b) => a.error_id.localeCompare(b.error_id) || a.valid_from.localeCompare(b.valid_from));
}

/** Runs the invariant queries on the destination (JSONL: on its intervals loaded into SQLite). */
async function violations(kind: Kind, url: string, schema: string | undefined, rows: Row[]): Promise<string[]> {
  const out: string[] = [];
  if (kind === 'postgres') {
    for (const [name, sql] of Object.entries(INVARIANTS)) {
      const found = await adminQuery(sql.replaceAll('error_history', `"${schema}".error_history`));
      if (found.length) out.push(`${name}: ${JSON.stringify(found)}`);
    }
    return out;
  }
  const db =
    kind === 'sqlite' ? new Database(url.slice('sqlite:'.length), { readonly: true }) : new Database(':memory:');
  try {
    if (kind === 'jsonl') {
      db.exec(`CREATE TABLE error_history (${COLUMNS.join(', ')})`);
      const ins = db.prepare(`INSERT INTO error_history VALUES (${COLUMNS.map(() => '?').join(', ')})`);
      for (const r of rows) ins.run(...COLUMNS.map((c) => r[c]));
    }
    for (const [name, sql] of Object.entries(INVARIANTS)) {
      const found = db.prepare(sql).all();
      if (found.length) out.push(`${name}: ${JSON.stringify(found)}`);
    }
  } finally {
    db.close();
  }
  return out;
}

/** The time-to-fix query of docs/sync.md (its Error history section), as written there for PostgreSQL and SQLite. */
function documentedTimeToFix(kind: Kind): string {
  const doc = readFileSync(new URL('../../docs/sync.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Error history'));
  const block = section.slice(section.indexOf('```sql') + 6, section.indexOf('```', section.indexOf('```sql') + 6));
  const sqlite = /\(julianday\(f\.valid_from\) - julianday\(o\.valid_from\)\) \* 86400/.exec(block)?.[0];
  const pg = 'EXTRACT(EPOCH FROM f.valid_from - o.valid_from)';
  expect(sqlite, 'the SQLite form is in the doc').toBeDefined();
  expect(block).toContain(pg);
  const query = block
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(';')[0]!;
  return kind === 'postgres' ? query : query.replace(pg, sqlite!);
}

/** Per error, the seconds each fix took, by the documented query (JSONL: on its intervals loaded into SQLite). */
async function timesToFix(
  kind: Kind,
  url: string,
  schema: string | undefined,
  rows: Row[],
): Promise<Map<string, number>> {
  const sql = documentedTimeToFix(kind);
  let found: Array<{ error_id: string; seconds_to_fix: number | string }>;
  if (kind === 'postgres') found = await adminQuery(sql.replaceAll('error_history', `"${schema}".error_history`));
  else {
    const db =
      kind === 'sqlite' ? new Database(url.slice('sqlite:'.length), { readonly: true }) : new Database(':memory:');
    try {
      if (kind === 'jsonl') {
        db.exec(`CREATE TABLE error_history (${COLUMNS.join(', ')})`);
        const ins = db.prepare(`INSERT INTO error_history VALUES (${COLUMNS.map(() => '?').join(', ')})`);
        for (const r of rows) ins.run(...COLUMNS.map((c) => r[c]));
      }
      found = db.prepare(sql).all() as typeof found;
    } finally {
      db.close();
    }
  }
  return new Map(found.map((r) => [r.error_id, Number(r.seconds_to_fix)]));
}

async function sync(
  source: string,
  opts: Parameters<typeof startRun>[2] = {},
): Promise<{ s: RunSummary; from: string; to: string }> {
  const from = new Date().toISOString();
  const s = await (await startRun(h.runtime, source, opts)).done;
  expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
  return { s, from, to: new Date().toISOString() };
}

const within = (t: string, w: { from: string; to: string }) => t >= w.from && t <= w.to;

describe.each(KINDS)('error_history in a %s destination', (kind) => {
  beforeAll(async () => {
    sim = await startSim({ orgs: 1, projects: 1, errors: 12, events: 200 });
    h = await makeHome(sim);
  });

  afterAll(async () => {
    await h.cleanup();
    await sim.close();
  });

  it('ends the scripted scenario with exactly the expected intervals, and the invariants hold', async () => {
    const { url, schema } = place(kind);
    const source = (await h.source({ destination: url, streams: ['errors'] })).name;
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });

    // Six errors open and one fixed before anything is synced, whatever the simulator generated.
    const generated = await api.errors.list(pid, { base: new Date().toISOString() }).all();
    expect(generated.length).toBe(12);
    for (const x of generated.slice(0, 6)) await api.errors.update(pid, x.id, { operation: 'open' });
    await api.errors.update(pid, generated[6]!.id, { operation: 'fix' });

    // 1. The first sync (a full pass: no cursor yet) opens one interval per error.
    const first = await sync(source);
    const errors = await api.errors.list(pid, { base: new Date().toISOString() }).all();
    let rows = await historyOf(kind, url, schema);
    expect(rows.map((r) => r.error_id).sort()).toEqual(errors.map((e) => e.id).sort());
    for (const r of rows) {
      const e = errors.find((x) => x.id === r.error_id)!;
      expect(r).toMatchObject({
        project_id: pid,
        status: e.status,
        severity: e.severity,
        valid_to: null,
        observed_by: 'full_pass',
        _run_id: first.s.run_id,
      });
      // Seen open: open since its first event. Otherwise: since it was observed (when it changed is unknown).
      if (e.status === 'open') expect(r.valid_from).toBe(new Date(e.first_seen_unfiltered!).toISOString());
      else expect(within(r.valid_from, first), r.valid_from).toBe(true);
    }

    // 2. Changes Bugsnag's list shows only to a full pass (no new events) — and one an incremental pass sees.
    const [a, b, c, d, e, f] = generated.map((x) => errors.find((y) => y.id === x.id)!);
    expect([a, b, c, d, e, f].map((x) => x!.status)).toEqual(Array(6).fill('open'));
    const collaborator = (await api.collaborators.listForProject(pid).all())[0]!;
    await api.errors.update(pid, a!.id, { operation: 'fix' });
    await api.errors.update(pid, b!.id, { operation: 'fix' });
    await api.errors.update(pid, c!.id, { operation: 'ignore' });
    const newSeverity = d!.severity === 'info' ? 'warning' : 'info';
    await api.errors.update(pid, d!.id, { operation: 'override_severity', severity: newSeverity });
    await api.errors.update(pid, e!.id, { operation: 'assign', assigned_collaborator_id: collaborator.id });
    await api.errors.update(pid, f!.id, {
      operation: 'override_severity',
      severity: 'error' === f!.severity ? 'warning' : 'error',
    });
    const added = sim.addEvents({ projectId: pid, errorId: f!.id, count: 2 });
    // 2a. An incremental pass: only f (new events) is in its window.
    const inc = await sync(source, { now: new Date(Date.parse(added.at(-1)!.received_at) + 2000) });
    rows = await historyOf(kind, url, schema);
    expect(rows.filter((r) => r.error_id === f!.id).map((r) => r.observed_by)).toEqual(['full_pass', 'incremental']);
    expect(rows.filter((r) => r._run_id === inc.s.run_id).map((r) => r.error_id)).toEqual([f!.id]);
    // c was ignored, then reopened before any sync saw it: the history never knew, nothing to record.
    await api.errors.update(pid, c!.id, { operation: 'open' });
    // A fixed error reopened between syncs.
    const g = errors.find((x) => x.id === generated[6]!.id)!;
    expect(g.status).toBe('fixed');
    await api.errors.update(pid, g.id, { operation: 'open' });

    // 3. A day later the periodic full pass sees every other change.
    const full = await sync(source, { now: new Date(Date.now() + DAY + 60_000) });
    // 4. Nothing changed: an incremental pass (an empty window), then a full refresh reading every error again.
    await sync(source, { now: new Date(Date.now() + DAY + 3_600_000) });
    await sync(source, { fullRefresh: true });

    const after = await api.errors.list(pid, { base: new Date().toISOString() }).all();
    rows = await historyOf(kind, url, schema);
    const changed = new Map<string, { run: string; by: string; w: { from: string; to: string } }>([
      [a!.id, { run: full.s.run_id, by: 'full_pass', w: full }],
      [b!.id, { run: full.s.run_id, by: 'full_pass', w: full }],
      [d!.id, { run: full.s.run_id, by: 'full_pass', w: full }],
      [e!.id, { run: full.s.run_id, by: 'full_pass', w: full }],
      [f!.id, { run: inc.s.run_id, by: 'incremental', w: inc }],
      [g.id, { run: full.s.run_id, by: 'full_pass', w: full }],
    ]);
    expect(rows.length).toBe(12 + changed.size);
    for (const err of after) {
      const mine = rows.filter((r) => r.error_id === err.id);
      const current = mine.at(-1)!;
      expect(current).toMatchObject({
        status: err.status,
        severity: err.severity,
        assigned_collaborator_id: err.assigned_collaborator_id ?? null,
        valid_to: null,
      });
      const ch = changed.get(err.id);
      if (!ch) {
        expect(mine, err.id).toHaveLength(1);
        expect(current._run_id).toBe(first.s.run_id);
        continue;
      }
      expect(mine, err.id).toHaveLength(2);
      const [was, now] = mine as [Row, Row];
      expect(was.valid_to).toBe(now.valid_from);
      expect(within(now.valid_from, ch.w), `${now.valid_from} in ${JSON.stringify(ch.w)}`).toBe(true);
      expect(now).toMatchObject({ observed_by: ch.by, _run_id: ch.run });
    }
    expect(rows.find((r) => r.error_id === a!.id && r.valid_to === null)!.status).toBe('fixed');
    expect(rows.find((r) => r.error_id === d!.id && r.valid_to === null)!.severity).toBe(newSeverity);
    expect(rows.find((r) => r.error_id === e!.id && r.valid_to === null)!.assigned_collaborator_id).toBe(
      collaborator.id,
    );
    expect(rows.find((r) => r.error_id === g.id && r.valid_to === null)!.status).toBe('open');
    expect(await violations(kind, url, schema, rows)).toEqual([]);
    // Time to fix, by the query the docs give: a and b, open since their first event, fixed at the full pass.
    const fixes = await timesToFix(kind, url, schema, rows);
    expect([...fixes.keys()].sort()).toEqual([a!.id, b!.id].sort());
    for (const x of [a!, b!]) {
      const fixedAt = rows.find((r) => r.error_id === x.id && r.status === 'fixed')!.valid_from;
      const seconds = (Date.parse(fixedAt) - Date.parse(x.first_seen_unfiltered!)) / 1000;
      expect(Math.abs(fixes.get(x.id)! - seconds), x.id).toBeLessThan(0.01);
    }
  });
});

const ERRORS = descriptorOf(getStream('errors'));
const T = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString();

function err(id: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { project_id: 'p1', id, status, severity: 'error', first_seen_unfiltered: T(0), ...extra };
}

describe.each(KINDS)('error_history page by page in a %s destination', (kind) => {
  it('a replayed page adds nothing, before and after reopening; a change closes the open interval where the next starts', async () => {
    const url =
      kind === 'postgres'
        ? (() => {
            const schema = uniqueSchema('snag_history');
            schemas.push(schema);
            return pgDestinationUrl(schema);
          })()
        : `${kind}:${join(mkdtempSync(join(tmpdir(), 'snag-history-')), kind === 'sqlite' ? 'h.db' : 'h')}`;
    let dest = await openDestination(url);
    await dest.prepare([ERRORS]);
    let n = 0;
    const write = (records: Record<string, unknown>[], at: string, by: 'incremental' | 'full_pass' = 'full_pass') =>
      dest.writePage('errors', records, {
        sourceId: 'src',
        partition: 'project:p1',
        state: { page: ++n },
        runId: `run${n}`,
        observed: { at, by },
      });
    const intervals = async () =>
      (await dest.listRecords('error_history'))
        .map((r) => ({
          id: r.error_id,
          status: r.status,
          from: new Date(r.valid_from as string).toISOString(),
          to: r.valid_to === null ? null : new Date(r.valid_to as string).toISOString(),
          by: r.observed_by ?? null,
        }))
        .sort((x, y) => String(x.id).localeCompare(String(y.id)) || x.from.localeCompare(y.from));
    try {
      const page1 = [err('e1', 'open'), err('e2', 'fixed')];
      await write(page1, T(10));
      const opened = [
        { id: 'e1', status: 'open', from: T(0), to: null, by: 'full_pass' },
        { id: 'e2', status: 'fixed', from: T(10), to: null, by: 'full_pass' },
      ];
      expect(await intervals()).toEqual(opened);
      await write(page1, T(11));
      expect(await intervals()).toEqual(opened);
      await dest.close();
      dest = await openDestination(url);
      await dest.prepare([ERRORS]);
      await write(page1, T(12));
      expect(await intervals()).toEqual(opened);

      // e1 fixed, seen by an incremental pass; the page replayed later changes nothing.
      const page2 = [err('e1', 'fixed')];
      await write(page2, T(20), 'incremental');
      await write(page2, T(21));
      const fixed = [
        { id: 'e1', status: 'open', from: T(0), to: T(20), by: 'full_pass' },
        { id: 'e1', status: 'fixed', from: T(20), to: null, by: 'incremental' },
        opened[1],
      ];
      expect(await intervals()).toEqual(fixed);

      // Observed "before" the open interval began (another clock): the new interval still starts after it.
      await write([err('e1', 'open')], T(15));
      // The same key twice in a page: the last is its state.
      await dest.close();
      dest = await openDestination(url);
      await dest.prepare([ERRORS]);
      await write([err('e2', 'ignored'), err('e2', 'snoozed')], T(30));
      const justAfter = new Date(Date.parse(T(20)) + 1).toISOString();
      expect(await intervals()).toEqual([
        fixed[0],
        { ...fixed[1], to: justAfter },
        { id: 'e1', status: 'open', from: justAfter, to: null, by: 'full_pass' },
        { ...opened[1], to: T(30) },
        { id: 'e2', status: 'snoozed', from: T(30), to: null, by: 'full_pass' },
      ]);
      expect(await dest.countRecords('error_history')).toBe(5);
    } finally {
      await dest.close();
    }
  });
});

describe('error_history in a JSONL folder', () => {
  it('is not written over a history file snagsync did not write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snag-history-stray-'));
    // A folder snagsync already writes (its state exists), where someone put an error_history.jsonl of their own.
    await (await openDestination(`jsonl:${dir}`)).close();
    writeFileSync(join(dir, 'error_history.jsonl'), '{"mine":true}\n');
    const dest = await openDestination(`jsonl:${dir}`);
    try {
      await expect(dest.prepare([ERRORS])).rejects.toMatchObject({ code: 'destination' });
      expect(readFileSync(join(dir, 'error_history.jsonl'), 'utf8')).toBe('{"mine":true}\n');
    } finally {
      await dest.close();
    }
  });
});
