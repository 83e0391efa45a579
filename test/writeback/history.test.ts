import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../src/engine/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { newCredentialId } from '../../src/store/index.js';
import { historyChanges, OPERATION_NAMES, prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { writeJsonl } from './helpers.js';

/**
 * A write-back records what it changed in the error history of the destinations that sync those errors: from the
 * time Bugsnag accepted the PATCH, observed by `writeback`. The next sync seeing the same state adds nothing; a later
 * change seen by a sync closes the interval. A destination that cannot be written never fails the write-back.
 */
let sim: Simulator;
let h: Home;
let dbPath: string;
let source: string;
let cred: string;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 30, events: 200 });
  h = await makeHome(sim);
  dbPath = join(h.home, 'history.db');
  cred = await h.credential('admin');
  source = (await h.source({ destination: `sqlite:${dbPath}`, streams: ['errors'] })).name;
});
afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const sync = async (fullRefresh = false) => {
  const s = await (await startRun(h.runtime, source, fullRefresh ? { fullRefresh: true } : {})).done;
  expect(s.status, JSON.stringify(s.error)).toBe('succeeded');
};
const read = (sql: string, ...params: unknown[]) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
};
const intervals = (id: string) =>
  read(
    'SELECT status, assigned_collaborator_id, valid_from, valid_to, observed_by FROM error_history WHERE error_id = ? ORDER BY valid_from',
    id,
  );
let n = 0;
const apply = async (credential: string, rows: Array<Record<string, unknown>>) => {
  const s = await prepareWriteback(h.runtime, credential, writeJsonl(h.home, `wb-${++n}.jsonl`, rows));
  return s.apply();
};

/** The same token under another credential: it has no source, so its write-backs record nothing. */
async function unsyncedCredential(): Promise<string> {
  const t = sim.tokens.find((x) => x.role === 'admin')!;
  const id = newCredentialId();
  await h.runtime.store.credentials.create({
    id,
    name: 'sim-admin-unsynced',
    host: sim.url,
    ...(await h.runtime.vault.seal(id, t.token)),
    verified_status: 'VERIFIED',
    verified_at: new Date(),
    organizations: [],
  });
  return 'sim-admin-unsynced';
}

describe('write-back into error_history', () => {
  it('records a fix at the time it was applied; a sync seeing it adds nothing; a reopen seen by a sync closes it', async () => {
    await sync();
    const [open] = read(`SELECT project_id, id FROM errors WHERE status = 'open' ORDER BY id LIMIT 1`) as Array<{
      project_id: string;
      id: string;
    }>;
    expect(open).toBeDefined();
    const id = open!.id;
    const before = intervals(id);
    expect(before).toHaveLength(1);

    const start = new Date().toISOString();
    const report = await apply(cred, [{ project_id: open!.project_id, error_id: id, operation: 'fix' }]);
    const end = new Date().toISOString();
    expect(report.totals.applied).toBe(1);
    expect(report.history).toEqual({ intervals: 1, destinations: 1, failed: [] });
    const fixed = intervals(id);
    expect(fixed).toHaveLength(2);
    expect(fixed[1]).toMatchObject({ status: 'fixed', valid_to: null, observed_by: 'writeback' });
    const at = fixed[1]!.valid_from as string;
    expect(at >= start && at <= end).toBe(true);
    expect(fixed[0]).toMatchObject({ status: 'open', valid_to: at });
    // The row shows the change at once (an incremental pass would not: fixing does not move last_seen).
    expect(
      read('SELECT status, json_extract(_record, ?) AS recorded FROM errors WHERE id = ?', '$.status', id),
    ).toEqual([{ status: 'fixed', recorded: 'fixed' }]);

    // The next full pass observes `fixed`: nothing added.
    await sync(true);
    expect(intervals(id)).toEqual(fixed);

    // Reopened through a credential no source syncs with: nothing recorded until a sync sees it.
    const other = await unsyncedCredential();
    const reopen = await apply(other, [{ project_id: open!.project_id, error_id: id, operation: 'open' }]);
    expect(reopen.totals.applied).toBe(1);
    expect(reopen.history).toEqual({ intervals: 0, destinations: 0, failed: [] });
    expect(intervals(id)).toEqual(fixed);
    await sync(true);
    const after = intervals(id);
    expect(after).toHaveLength(3);
    expect(after[1]).toMatchObject({ status: 'fixed', observed_by: 'writeback', valid_to: after[2]!.valid_from });
    expect(after[2]).toMatchObject({ status: 'open', valid_to: null, observed_by: 'full_pass' });
    expect((after[2]!.valid_from as string) > at).toBe(true);
  });

  it('records a severity override; a destination that cannot be reached is reported, and the write-back stands', async () => {
    const broken = await h.source({ destination: `sqlite:${join(h.home, 'other.db')}`, streams: ['errors'] });
    // Nothing listens on port 9 of the loopback: connecting is refused at once.
    await h.runtime.store.sources.update(broken.id, {
      destination: 'postgres://snagsync@127.0.0.1:9/none?schema=history',
    });
    const [row] = read(`SELECT project_id, id FROM errors WHERE severity <> 'info' ORDER BY id DESC LIMIT 1`) as Array<{
      project_id: string;
      id: string;
    }>;
    expect(row).toBeDefined();
    const report = await apply(cred, [
      { project_id: row!.project_id, error_id: row!.id, operation: 'override_severity', severity: 'info' },
    ]);
    expect(report.totals.applied).toBe(1);
    expect(report.history.destinations).toBe(1);
    expect(report.history.failed).toHaveLength(1);
    expect(report.history.failed[0]).toMatchObject({ source_id: broken.id });
    expect(report.history.failed[0]!.destination).toContain('127.0.0.1:9');
    const last = read(
      'SELECT severity, valid_to, observed_by FROM error_history WHERE error_id = ? ORDER BY valid_from DESC LIMIT 1',
      row!.id,
    );
    expect(last).toEqual([{ severity: 'info', valid_to: null, observed_by: 'writeback' }]);
  });

  it('knows which tracked fields each operation sets (the others record nothing)', () => {
    const params: Record<string, Record<string, unknown>> = { override_severity: { severity: 'warning' } };
    const got = Object.fromEntries(
      OPERATION_NAMES.map((op) => [op, historyChanges({ operation: op, params: params[op] ?? {}, assignee: null })]),
    );
    expect(got).toEqual({
      fix: { status: 'fixed' },
      open: { status: 'open' },
      ignore: { status: 'ignored' },
      snooze: { status: 'snoozed' },
      override_severity: { severity: 'warning' },
      assign: null,
      discard: null,
      undiscard: null,
      link_issue: null,
      unlink_issue: null,
      comment: null,
    });
    expect(historyChanges({ operation: 'assign', params: {}, assignee: { kind: 'collaborator', id: 'u1' } })).toEqual({
      assigned_collaborator_id: 'u1',
      assigned_team_id: null,
    });
    expect(historyChanges({ operation: 'assign', params: {}, assignee: { kind: 'team', id: 't1' } })).toEqual({
      assigned_team_id: 't1',
      assigned_collaborator_id: null,
    });
  });
});
