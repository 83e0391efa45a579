import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanSeconds } from '../../src/server/overview/time-to-fix.js';
import type { Simulator } from '../../src/sim/index.js';
import { login, TEST_KEY, type Browser } from './helpers.js';
import { fixture } from './webhooks-helpers.js';
import { postForm, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * What is new about time in the web UI and the API, over a real sync into a real SQLite file: the source page's
 * Webhook panel (full URL, switch, rotation behind CSRF), Freshness per stream (equal to the destination's MAX read
 * here independently), an error's history page and API (the intervals in order, an empty state without history),
 * and the Overview's time to fix and reopened errors from the analytics views, created by the UI's button.
 */

let sim: Simulator;
let s: SourcesServer;
let b: Browser;
let synced: { id: string; destination: string };
let never: { id: string };
let dbPath: string;
let adminToken: string;
/** The error given a fix and a reopen in its history (below). */
let hot: { project_id: string; error_id: string };
const HOUR = 3_600_000;

const page = async (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie } });

/** Neither the server key nor the Bugsnag token is in an answer. */
function noSecrets(body: string): void {
  expect(body).not.toContain(TEST_KEY);
  expect(body).not.toContain(adminToken);
}

beforeAll(async () => {
  sim = await startSim({ projects: 2, errors: 4, events: 40 });
  adminToken = sim.tokens.find((t) => t.role === 'admin')!.token;
  s = await sourcesServer({ executor: 'in-process' });
  const credentialId = await s.credential(sim);
  b = await login(s.app);
  dbPath = join(s.home, 'time.db');
  synced = await s.source({
    name: 'timely',
    data_credentials_id: credentialId,
    source_config: { streams: ['projects', 'errors', 'events'] },
    destination: `sqlite:${dbPath}`,
  });
  never = await s.source({ name: 'unsynced', data_credentials_id: credentialId, destination: 'sqlite:never.db' });
  await s.runToEnd(synced.id);
  // One error's history as a person would live it, after the sync observed it open: fixed 3 h ago, reopened 1 h ago.
  const db = new Database(dbPath);
  try {
    const open = db
      .prepare(
        `SELECT project_id, error_id, valid_from FROM error_history WHERE valid_to IS NULL AND status = 'open' LIMIT 1`,
      )
      .get() as { project_id: string; error_id: string; valid_from: string };
    hot = { project_id: open.project_id, error_id: open.error_id };
    const fixedAt = new Date(Date.now() - 3 * HOUR).toISOString();
    const reopenedAt = new Date(Date.now() - HOUR).toISOString();
    db.prepare('UPDATE error_history SET valid_to = ? WHERE project_id = ? AND error_id = ? AND valid_to IS NULL').run(
      fixedAt,
      hot.project_id,
      hot.error_id,
    );
    const insert = db.prepare(
      `INSERT INTO error_history (project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id, valid_from, valid_to, observed_by, _run_id)
       SELECT project_id, error_id, ?, severity, assigned_collaborator_id, assigned_team_id, ?, ?, ?, _run_id FROM error_history
       WHERE project_id = ? AND error_id = ? AND valid_from = ?`,
    );
    insert.run('fixed', fixedAt, reopenedAt, 'status_pass', hot.project_id, hot.error_id, open.valid_from);
    insert.run('open', reopenedAt, null, 'webhook', hot.project_id, hot.error_id, open.valid_from);
  } finally {
    db.close();
  }
}, 60_000);
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

function readDb<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('freshness', () => {
  it('per stream, the newest row as the destination holds it, and whether webhooks feed it', async () => {
    const res = await s.api('GET', `/api/data_sources/${synced.id}/freshness`);
    expect(res.statusCode).toBe(200);
    noSecrets(res.body);
    const f = res.json() as {
      streams: Array<{
        stream: string;
        column: string;
        newest_at: string | null;
        age_seconds: number | null;
        webhooks: boolean;
      }>;
      webhook: unknown;
      poller: unknown;
      error: string | null;
    };
    expect(f.error).toBeNull();
    expect(f.poller).toBeNull();
    const by = Object.fromEntries(f.streams.map((x) => [x.stream, x]));
    const [events] = readDb<{ m: string }>('SELECT MAX(received_at) AS m FROM events');
    const [errors] = readDb<{ m: string }>('SELECT MAX(last_seen_unfiltered) AS m FROM errors');
    const [projects] = readDb<{ m: string }>('SELECT MAX(_synced_at) AS m FROM projects');
    expect(by.events).toMatchObject({ column: 'received_at', newest_at: events!.m, webhooks: false });
    expect(by.errors).toMatchObject({ column: 'last_seen_unfiltered', newest_at: errors!.m });
    expect(by.projects).toMatchObject({ column: '_synced_at', newest_at: projects!.m });
    expect(by.events!.age_seconds).toBeGreaterThan(0);
  });

  it('a source never synced has streams without rows, not an error', async () => {
    const f = (await s.api('GET', `/api/data_sources/${never.id}/freshness`)).json() as {
      streams: Array<{ newest_at: string | null }>;
      error: string | null;
    };
    expect(f.error).toBeNull();
    expect(f.streams.length).toBeGreaterThan(0);
    expect(f.streams.every((x) => x.newest_at === null)).toBe(true);
  });

  it('404 for an unknown source', async () => {
    expect((await s.api('GET', '/api/data_sources/src_nosuch/freshness')).statusCode).toBe(404);
  });
});

describe('the source page', () => {
  it('shows the webhook URL in full, how to set it up, the counts, Freshness and the errors that changed last', async () => {
    const res = await page(`/sources/${synced.id}`);
    expect(res.statusCode).toBe(200);
    noSecrets(res.body);
    const path = ((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { path: string }).path;
    expect(res.body).toContain(`value="http://localhost:80${path}"`);
    expect(res.body).toContain('Project settings → Integrations → Webhook');
    expect(res.body).toContain('data-copy="webhook-url"');
    expect(res.body).toMatch(/data-webhook-received>0 /);
    expect(res.body).toContain('data-freshness-table');
    expect(res.body).toContain('<tr data-stream="events">');
    // The errors whose state began last, newest first, each linked to its history.
    const listed = [...res.body.matchAll(/<li data-change><a href="([^"]+)"/g)].map((m) => m[1]);
    const newest = readDb<{ project_id: string; error_id: string }>(
      'SELECT project_id, error_id FROM error_history WHERE valid_to IS NULL ORDER BY valid_from DESC LIMIT 10',
    );
    expect(listed).toEqual(newest.map((r) => `/sources/${synced.id}/errors/${r.project_id}/${r.error_id}/history`));
    expect(res.body).not.toMatch(/snagsync (sources|models|serve)/);
  });

  it('without error history yet: says so', async () => {
    const res = await page(`/sources/${never.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-empty="history"');
  });
});

describe('webhook actions', () => {
  it('rotate needs the CSRF token; with it the URL changes and the old one answers 404', async () => {
    const before = ((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { path: string }).path;
    const refused = await s.app.inject({
      method: 'POST',
      url: `/sources/${synced.id}/webhook/rotate`,
      headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(refused.statusCode).toBe(403);
    expect(((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { path: string }).path).toBe(
      before,
    );

    const confirm = await page(`/sources/${synced.id}/webhook/rotate`);
    expect(confirm.body).toContain('The current URL stops working at once');
    const res = await postForm(s.app, b, `/sources/${synced.id}/webhook/rotate`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/sources/${synced.id}#webhook`);
    const after = ((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { path: string }).path;
    expect(after).not.toBe(before);
    const old = await s.app.inject({
      method: 'POST',
      url: before,
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(old.statusCode).toBe(404);
    expect((await page(`/sources/${synced.id}`)).body).toContain(`value="http://localhost:80${after}"`);
  });

  it('the switch turns it off and on; by fetch, the panel comes back to be swapped in place', async () => {
    const off = await postForm(s.app, b, `/sources/${synced.id}/webhook/disable`, {}, 'fetch');
    expect(off.statusCode).toBe(200);
    const result = off.json() as { ok: boolean; panels: Array<{ id: string; html: string }> };
    expect(result.ok).toBe(true);
    expect(result.panels[0]!.id).toBe('webhook');
    expect(result.panels[0]!.html).toContain('Switch the webhook on');
    expect(
      ((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { enabled: boolean }).enabled,
    ).toBe(false);
    const on = await postForm(s.app, b, `/sources/${synced.id}/webhook/enable`, {});
    expect(on.statusCode).toBe(303);
    expect(
      ((await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { enabled: boolean }).enabled,
    ).toBe(true);
  });
});

describe('webhooks arriving', () => {
  it('a received message shows in Freshness: the counts, and the streams webhooks write are marked fed', async () => {
    const { path } = (await s.api('GET', `/api/data_sources/${synced.id}/webhook`)).json() as { path: string };
    const posted = await s.app.inject({
      method: 'POST',
      url: path,
      payload: JSON.stringify(fixture('exception')),
      headers: { 'content-type': 'application/json' },
    });
    expect(posted.statusCode).toBe(202);
    const f = (await s.api('GET', `/api/data_sources/${synced.id}/freshness`)).json() as {
      streams: Array<{ stream: string; webhooks: boolean }>;
      webhook: { received: number; last_received_at: string | null };
    };
    expect(f.webhook.received).toBe(1);
    expect(f.webhook.last_received_at).not.toBeNull();
    expect(Object.fromEntries(f.streams.map((x) => [x.stream, x.webhooks]))).toEqual({
      projects: false,
      errors: true,
      events: true,
    });
    const res = await page(`/sources/${synced.id}`);
    expect(res.body).toMatch(/data-webhook-received>1 /);
    expect(res.body).toContain('Webhook messages arrive: last just now, 1 received');
    noSecrets(res.body);
  });
});

describe('error history', () => {
  it('the page and the API list the intervals in order, as error_history holds them', async () => {
    const rows = readDb<{ status: string; valid_from: string; valid_to: string | null; observed_by: string }>(
      'SELECT status, valid_from, valid_to, observed_by FROM error_history WHERE project_id = ? AND error_id = ? ORDER BY valid_from',
      hot.project_id,
      hot.error_id,
    );
    expect(rows.map((r) => r.status)).toEqual(['open', 'fixed', 'open']);
    const api = await s.api('GET', `/api/data_sources/${synced.id}/errors/${hot.project_id}/${hot.error_id}/history`);
    expect(api.statusCode).toBe(200);
    noSecrets(api.body);
    const h = api.json() as { kept: boolean; error_class: string | null; intervals: typeof rows };
    expect(h.kept).toBe(true);
    expect(h.error_class).not.toBeNull();
    expect(
      h.intervals.map(({ status, valid_from, valid_to, observed_by }) => ({
        status,
        valid_from,
        valid_to,
        observed_by,
      })),
    ).toEqual(rows);

    const res = await page(`/sources/${synced.id}/errors/${hot.project_id}/${hot.error_id}/history`);
    expect(res.statusCode).toBe(200);
    noSecrets(res.body);
    const shown = [...res.body.matchAll(/<tr data-interval data-status="([^"]*)" data-valid-from="([^"]+)"/g)].map(
      (m) => [m[1], m[2]],
    );
    expect(shown).toEqual(rows.map((r) => [r.status, r.valid_from]));
    expect(res.body).toContain('data-current');
    expect(res.body).toContain('a webhook message');
  });

  it('an empty state when the destination keeps no history, and kept: false in the API', async () => {
    const res = await page(`/sources/${never.id}/errors/p1/e1/history`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-empty="history"');
    const api = (await s.api('GET', `/api/data_sources/${never.id}/errors/p1/e1/history`)).json() as {
      kept: boolean;
      intervals: unknown[];
    };
    expect(api).toMatchObject({ kept: false, intervals: [] });
  });

  it('an error the history does not hold: its own empty state', async () => {
    const res = await page(`/sources/${synced.id}/errors/${hot.project_id}/nosuch/history`);
    expect(res.body).toContain('data-empty="history"');
    expect(res.body).not.toContain('data-history-table');
  });

  it('404 for an unknown source, page and API', async () => {
    expect((await page('/sources/src_nosuch/errors/p/e/history')).statusCode).toBe(404);
    expect((await s.api('GET', '/api/data_sources/src_nosuch/errors/p/e/history')).statusCode).toBe(404);
  });
});

describe('the Overview: time to fix and reopened errors', () => {
  it('without the views: says so, and its button creates them (CSRF required); then the figures equal the views', async () => {
    const before = (await page('/')).body;
    expect(before).toContain('data-time-card="no-views"');
    expect(before).toContain(`action="/sources/${synced.id}/models"`);
    expect(before).toContain('Create analytics views');

    const refused = await s.app.inject({
      method: 'POST',
      url: `/sources/${synced.id}/models`,
      headers: { cookie: b.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'return_to=/',
    });
    expect(refused.statusCode).toBe(403);
    expect((await page('/')).body).toContain('data-time-card="no-views"');

    const res = await postForm(s.app, b, `/sources/${synced.id}/models`, { return_to: '/' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const after = (await page('/')).body;
    noSecrets(after);
    expect(after).toContain('data-time-card="views"');
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const [reopened] = readDb<{ n: number }>(
      'SELECT COUNT(*) AS n FROM error_lifecycle WHERE last_reopened_at >= ?',
      since,
    );
    expect(reopened!.n).toBe(1);
    expect(after).toContain('data-reopened="1"');
    const mttr = readDb<{ fixes: number; median_seconds_to_fix: number }>(
      'SELECT fixes, median_seconds_to_fix FROM mttr',
    );
    expect(mttr).toHaveLength(1);
    expect(after).toContain(`data-seconds="${mttr[0]!.median_seconds_to_fix}"`);
    expect([...after.matchAll(/<tr data-mttr-row>/g)]).toHaveLength(1);
  });

  it('the API applies the views as the CLI does; a destination with nothing synced is a 409', async () => {
    const ok = await s.api('POST', `/api/data_sources/${synced.id}/models`);
    expect(ok.statusCode).toBe(200);
    const r = ok.json() as { kind: string; views: Array<{ name: string; status: string }> };
    expect(r.kind).toBe('sqlite');
    expect(r.views.find((v) => v.name === 'mttr')?.status).toBe('created');
    const none = await s.api('POST', `/api/data_sources/${never.id}/models`);
    expect(none.statusCode).toBe(409);
    expect(none.body).not.toMatch(/snagsync /);
    expect((await s.api('POST', '/api/data_sources/src_nosuch/models')).statusCode).toBe(404);
  });
});

describe('a JSONL destination', () => {
  let jsonl: { id: string };
  let dir: string;
  const lines = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string | null>);

  beforeAll(async () => {
    dir = join(s.home, 'time-jsonl');
    jsonl = await s.source({
      name: 'jsonl timely',
      data_credentials_id: (await s.api('GET', `/api/data_sources/${synced.id}`)).json().data_credentials_id,
      source_config: { streams: ['projects', 'errors'] },
      destination: `jsonl:${dir}`,
    });
    await s.runToEnd(jsonl.id);
  }, 60_000);

  it("freshness is the newest _synced_at of each file; an error's history is its lines; the Overview says no views", async () => {
    const f = (await s.api('GET', `/api/data_sources/${jsonl.id}/freshness`)).json() as {
      streams: Array<{ stream: string; column: string; newest_at: string | null }>;
    };
    const newest = (file: string) =>
      lines(file)
        .map((l) => l._synced_at!)
        .sort()
        .at(-1);
    expect(f.streams.find((x) => x.stream === 'errors')).toEqual({
      stream: 'errors',
      column: '_synced_at',
      newest_at: newest('errors.jsonl'),
      age_seconds: expect.any(Number),
      webhooks: false,
    });
    const history = lines('error_history.jsonl');
    const one = history[0]!;
    const mine = history.filter((l) => l.project_id === one.project_id && l.error_id === one.error_id);
    const h = (
      await s.api('GET', `/api/data_sources/${jsonl.id}/errors/${one.project_id}/${one.error_id}/history`)
    ).json() as { kept: boolean; intervals: Array<{ status: string; valid_from: string }> };
    expect(h.kept).toBe(true);
    expect(h.intervals.map((i) => [i.status, i.valid_from])).toEqual(mine.map((l) => [l.status, l.valid_from]));
    const pageHtml = (await page(`/sources/${jsonl.id}`)).body;
    expect(pageHtml).toContain(`/sources/${jsonl.id}/errors/`);
    expect((await page('/')).body).toContain('data-time-card="jsonl"');
    expect((await s.api('POST', `/api/data_sources/${jsonl.id}/models`)).statusCode).toBe(400);
  });
});

describe('durations', () => {
  it('read as a person reads them, never "60 min" nor "24 h"', () => {
    expect([45, 3599.6, 5400, 86_399, 90_000, 4 * 86_400 - 60].map(humanSeconds)).toEqual([
      '45 s',
      '1 h',
      '1 h 30 min',
      '1 d',
      '1 d 1 h',
      '4 d',
    ]);
    expect(humanSeconds(null)).toBe('—');
  });
});
