import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDestination, type Destination, type ObservedBy } from '../../src/destinations/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import { requireService } from '../helpers/services.js';
import { tempDir } from '../store/helpers.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * `writeRecords` (records pushed outside a run: webhooks) and `recordObservations` (a tracked field's change: a
 * write-back) in every destination: rows never moved back in time, and error_history kept to its invariants — one
 * open interval per error, each closed one ending where the next begins — whatever the order pages, pushes and
 * observations arrive in.
 */
type Kind = 'sqlite' | 'jsonl' | 'postgres';
const KINDS: Kind[] = ['sqlite', 'jsonl', ...(requireService('postgres') ? (['postgres'] as const) : [])];
const SOURCE = 'src_push';
const T = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString();
const FIRST_SEEN = '2026-01-01T00:00:00.000Z';

interface Interval {
  id: string;
  status: string | null;
  severity: string | null;
  assignee: string | null;
  from: string;
  to: string | null;
  by: string;
}

function error(id: string, status: string, lastSeenMinute: number, extra: Record<string, unknown> = {}) {
  return {
    project_id: 'p1',
    id,
    status,
    severity: 'error',
    first_seen_unfiltered: FIRST_SEEN,
    last_seen_unfiltered: T(lastSeenMinute),
    assigned_collaborator_id: null,
    ...extra,
  };
}

const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());

async function history(dest: Destination): Promise<Interval[]> {
  return (await dest.listRecords('error_history'))
    .map((r) => ({
      id: r.error_id as string,
      status: (r.status as string | null) ?? null,
      severity: (r.severity as string | null) ?? null,
      assignee: (r.assigned_collaborator_id as string | null) ?? null,
      from: iso(r.valid_from)!,
      to: iso(r.valid_to),
      by: r.observed_by as string,
    }))
    .sort((a, b) => a.id.localeCompare(b.id) || a.from.localeCompare(b.from));
}

/** The invariants of any history: per error, exactly one open interval, last; each closed one ends where the next begins. */
function violations(rows: Interval[]): string[] {
  const out: string[] = [];
  const byId = new Map<string, Interval[]>();
  for (const r of rows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  for (const [id, list] of byId) {
    if (list.filter((r) => r.to === null).length !== 1) out.push(`${id}: not exactly one open interval`);
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (r.to !== null && r.to <= r.from) out.push(`${id}: empty or reversed interval from ${r.from}`);
      const next = list[i + 1];
      if (next && r.to !== next.from)
        out.push(`${id}: interval from ${r.from} ends at ${r.to}, next begins ${next.from}`);
      if (!next && r.to !== null) out.push(`${id}: the last interval is closed`);
    }
  }
  return out;
}

async function rowOf(dest: Destination, id: string): Promise<Record<string, unknown> | undefined> {
  return (await dest.listRecords('errors')).find((r) => r.id === id);
}

describe.each(KINDS)('pushed records and observations in a %s destination', (kind) => {
  let dest: Destination;
  let cleanup: () => Promise<void>;
  let urlOf: string;
  let schemaOf = '';

  /** The row's typed columns as stored (SQLite, PostgreSQL; JSONL has none: its lines are the records). */
  async function typed(id: string): Promise<Record<string, unknown> | undefined> {
    const sql = `SELECT status, assigned_collaborator_id, _synced_at FROM ${kind === 'postgres' ? `"${schemaOf}".` : ''}errors WHERE id = '${id}'`;
    if (kind === 'postgres') {
      const [r] = await adminQuery(sql);
      return r && { ...r, _synced_at: (r._synced_at as Date).toISOString() };
    }
    const db = new Database(urlOf.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql).get() as Record<string, unknown> | undefined;
    } finally {
      db.close();
    }
  }

  async function open(): Promise<Destination> {
    if (kind === 'postgres') {
      const schema = uniqueSchema('snag_push');
      schemaOf = schema;
      urlOf = pgDestinationUrl(schema);
      cleanup = () => dropSchema(schema);
    } else {
      const t = tempDir();
      urlOf = `${kind}:${join(t.dir, kind === 'sqlite' ? 'dest.db' : 'dest')}`;
      cleanup = async () => t.cleanup();
    }
    const d = await openDestination(urlOf);
    await d.prepare([descriptorOf(getStream('errors'))]);
    return d;
  }

  beforeEach(async () => {
    dest = await open();
  });
  afterEach(async () => {
    await dest.close();
    await cleanup();
  });

  const page = (records: Array<Record<string, unknown>>, minute: number, by: ObservedBy = 'incremental') =>
    dest.writePage('errors', records, {
      sourceId: SOURCE,
      partition: 'project:p1',
      state: { minute },
      runId: `run_${minute}`,
      observed: { at: T(minute), by },
    });
  const push = (records: Array<Record<string, unknown>>, minute: number) =>
    dest.writeRecords!('errors', records, {
      sourceId: SOURCE,
      observed: { at: T(minute), by: 'webhook' },
      newerBy: 'last_seen_unfiltered',
    });
  const observe = (id: string, changes: Record<string, string | null>, minute: number, by: ObservedBy = 'writeback') =>
    dest.recordObservations!('errors', [
      { sourceId: SOURCE, key: { project_id: 'p1', id }, changes, at: T(minute), by },
    ]);

  it('a pushed record keeps what the stored row holds and the message lacks (counts, team), with no interval for it', async () => {
    // A sync's whole record, then a webhook's: newer, its own status, but no comment count and no team assignment.
    await page(
      [error('e1', 'open', 10, { comment_count: 3, assigned_team_id: 't1', release_stages: ['production'] })],
      10,
    );
    const thin = { project_id: 'p1', id: 'e1', status: 'open', last_seen_unfiltered: T(20), severity: 'warning' };
    expect(await push([thin], 20)).toEqual({ written: 1, unchanged: 0 });
    const row = (await rowOf(dest, 'e1'))!;
    expect(row).toMatchObject({
      comment_count: 3,
      assigned_team_id: 't1',
      release_stages: ['production'],
      severity: 'warning',
      last_seen_unfiltered: T(20),
      first_seen_unfiltered: FIRST_SEEN,
    });
    // The severity the message changed opens an interval; the team it did not mention does not end.
    const h = await dest.listRecords('error_history');
    expect(h.filter((r) => r.valid_to === null || r.valid_to === undefined)).toHaveLength(1);
    expect(h.every((r) => r.assigned_team_id === 't1')).toBe(true);
    expect(h.map((r) => r.severity).sort()).toEqual(['error', 'warning']);
  });

  it('upserts pushed records without a checkpoint, _run_id NULL, and never back in time by newerBy', async () => {
    expect(await push([error('e1', 'open', 10)], 10)).toEqual({ written: 1, unchanged: 0 });
    expect(await dest.readCheckpoints(SOURCE)).toEqual([]);
    // A late (or replayed) message about an earlier event: the row stays, and the history too.
    expect(await push([error('e1', 'fixed', 5)], 11)).toEqual({ written: 0, unchanged: 1 });
    expect((await rowOf(dest, 'e1'))?.status).toBe('open');
    expect(await push([error('e1', 'fixed', 12)], 12)).toEqual({ written: 1, unchanged: 0 });
    expect((await rowOf(dest, 'e1'))?.last_seen_unfiltered).toBe(T(12));
    expect(await history(dest)).toEqual([
      { id: 'e1', status: 'open', severity: 'error', assignee: null, from: FIRST_SEEN, to: T(12), by: 'webhook' },
      { id: 'e1', status: 'fixed', severity: 'error', assignee: null, from: T(12), to: null, by: 'webhook' },
    ]);
    expect(await dest.countRecords('errors')).toBe(1);
    expect(await dest.readCheckpoints(SOURCE)).toEqual([]);
  });

  it('keeps a newer state: a pushed record observed before the open interval began writes its other columns only', async () => {
    await page([error('e1', 'fixed', 1)], 20);
    // Newer by last_seen (the row takes it) but observed before the fixed interval began: the row keeps `fixed`, and
    // the history is unchanged.
    expect(await push([error('e1', 'ignored', 2)], 15)).toEqual({ written: 1, unchanged: 0 });
    expect(await rowOf(dest, 'e1')).toMatchObject({ status: 'fixed', last_seen_unfiltered: T(2) });
    // A write-back after a webhook, then the webhook delivered again: the write-back's state stays.
    await push([error('e2', 'open', 10)], 10);
    await observe('e2', { status: 'ignored' }, 12);
    expect(await push([error('e2', 'open', 10)], 10)).toEqual(
      kind === 'jsonl' ? { written: 0, unchanged: 1 } : { written: 1, unchanged: 0 },
    );
    expect((await rowOf(dest, 'e2'))?.status).toBe('ignored');
    expect((await history(dest)).filter((r) => r.id === 'e2').map((r) => [r.status, r.to])).toEqual([
      ['open', T(12)],
      ['ignored', null],
    ]);
    expect((await history(dest)).filter((r) => r.id === 'e1')).toEqual([
      { id: 'e1', status: 'fixed', severity: 'error', assignee: null, from: T(20), to: null, by: 'incremental' },
    ]);
  });

  it('merges an observation onto the open interval, and updates the row and its _record', async () => {
    await page([error('e1', 'open', 1, { assigned_collaborator_id: 'c1' })], 10, 'full_pass');
    const synced = kind === 'jsonl' ? undefined : await typed('e1');
    expect(await observe('e1', { status: 'fixed' }, 20)).toBe(1);
    // The typed columns too; the system columns stay as the sync wrote them (a change is not a sync's write).
    if (kind === 'jsonl') {
      const lines = readFileSync(join(urlOf.slice('jsonl:'.length), 'errors.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l.status, l._run_id])).toEqual([
        ['open', 'run_10'],
        ['fixed', 'run_10'],
      ]);
      expect(lines[1]!._synced_at).toBe(lines[0]!._synced_at);
    } else
      expect(await typed('e1')).toEqual({
        status: 'fixed',
        assigned_collaborator_id: 'c1',
        _synced_at: synced?._synced_at,
      });
    expect(await observe('e1', { status: 'fixed' }, 25)).toBe(0);
    // Older than the open interval: a newer state is never overwritten.
    expect(await observe('e1', { status: 'ignored' }, 15)).toBe(0);
    expect(await history(dest)).toEqual([
      { id: 'e1', status: 'open', severity: 'error', assignee: 'c1', from: FIRST_SEEN, to: T(20), by: 'full_pass' },
      { id: 'e1', status: 'fixed', severity: 'error', assignee: 'c1', from: T(20), to: null, by: 'writeback' },
    ]);
    const row = await rowOf(dest, 'e1');
    expect(row?.status).toBe('fixed');
    expect(row?.assigned_collaborator_id).toBe('c1');
    expect(await dest.countRecords('errors')).toBe(1);
    // The next sync observing the same state adds nothing; a later reopen closes it.
    await page([error('e1', 'fixed', 1, { assigned_collaborator_id: 'c1' })], 30, 'full_pass');
    await page([error('e1', 'open', 40, { assigned_collaborator_id: 'c1' })], 40);
    expect((await history(dest)).map((r) => [r.status, r.from, r.to, r.by])).toEqual([
      ['open', FIRST_SEEN, T(20), 'full_pass'],
      ['fixed', T(20), T(40), 'writeback'],
      ['open', T(40), null, 'incremental'],
    ]);
  });

  it('opens a first interval for an error with no history: the row’s other fields, else NULL', async () => {
    expect(await observe('e9', { assigned_collaborator_id: 'c2' }, 5)).toBe(1);
    expect(await history(dest)).toEqual([
      { id: 'e9', status: null, severity: null, assignee: 'c2', from: T(5), to: null, by: 'writeback' },
    ]);
    expect(await rowOf(dest, 'e9')).toBeUndefined();
    // The next sync's observation merges the whole state on top.
    await page([error('e9', 'open', 1, { assigned_collaborator_id: 'c2' })], 10);
    expect((await history(dest)).map((r) => [r.status, r.severity, r.assignee, r.from, r.to])).toEqual([
      [null, null, 'c2', T(5), T(10)],
      ['open', 'error', 'c2', T(10), null],
    ]);
  });

  it('keeps what pushes and observations committed across a reopen (JSONL: its state names the appended lines)', async () => {
    await push([error('e1', 'open', 10), error('e2', 'open', 10)], 10);
    await observe('e1', { status: 'fixed' }, 20);
    const before = await history(dest);
    await dest.close();
    dest = await openDestination(urlOf);
    await dest.prepare([descriptorOf(getStream('errors'))]);
    expect(await history(dest)).toEqual(before);
    expect(await dest.countRecords('errors')).toBe(2);
    expect((await rowOf(dest, 'e1'))?.status).toBe('fixed');
    // The intervals reloaded: the same change again is nothing, an older one too, a newer one opens an interval.
    expect(await observe('e1', { status: 'fixed' }, 30)).toBe(0);
    expect(await push([error('e1', 'open', 9)], 40)).toEqual({ written: 0, unchanged: 1 });
    expect(await observe('e1', { status: 'open' }, 50)).toBe(1);
    expect(violations(await history(dest))).toEqual([]);
  });

  it('refuses an observation of a field the history does not track', async () => {
    await expect(observe('e1', { message: 'x' }, 5)).rejects.toThrow(/not a field its history tracks/);
    expect(await history(dest)).toEqual([]);
  });

  // The same operations in different orders: whatever arrives when, the invariants hold.
  const OPERATIONS: Array<[string, (d: Destination) => Promise<unknown>]> = [
    ['page', () => page([error('e1', 'open', 1), error('e2', 'fixed', 1)], 10)],
    ['full pass', () => page([error('e1', 'fixed', 1), error('e2', 'fixed', 1)], 30, 'full_pass')],
    ['webhook', () => push([error('e1', 'open', 25), error('e2', 'open', 25)], 25)],
    ['late webhook', () => push([error('e2', 'ignored', 26)], 5)],
    ['write-back', () => observe('e1', { status: 'ignored' }, 20)],
    ['assignment', () => observe('e2', { assigned_collaborator_id: 'c1' }, 15)],
    ['same moment', () => observe('e1', { status: 'snoozed' }, 30)],
  ];
  const ORDERS = ['0123456', '6543210', '4062513', '2305164', '5614302'];
  it.each(ORDERS)('keeps one open interval per error, contiguous, in order %s', async (order) => {
    for (const i of order) await OPERATIONS[Number(i)]![1](dest);
    const rows = await history(dest);
    expect(violations(rows)).toEqual([]);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(['e1', 'e2']));
    expect(rows.every((r) => ['incremental', 'full_pass', 'webhook', 'writeback'].includes(r.by))).toBe(true);
  });
});
