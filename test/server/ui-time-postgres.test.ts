import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from '../destinations/pg-schema.js';
import { requireService } from '../helpers/services.js';
import { login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Freshness, error history and time to fix read from a real PostgreSQL destination (timestamptz columns, a schema,
 * `$n` parameters): the same answers as the SQL run here independently.
 */

const enabled = requireService('postgres');
const HOUR = 3_600_000;

describe.skipIf(!enabled)('time in the web UI and API over PostgreSQL', () => {
  let sim: Simulator;
  let s: SourcesServer;
  let b: Browser;
  let sourceId: string;
  const schema = uniqueSchema('snag_uitime');
  const t = (name: string) => `"${schema}"."${name}"`;
  let hot: { project_id: string; error_id: string };

  beforeAll(async () => {
    sim = await startSim({ projects: 2, errors: 3, events: 30 });
    s = await sourcesServer({ executor: 'in-process' });
    const credentialId = await s.credential(sim);
    b = await login(s.app);
    const src = await s.source({
      name: 'pg timely',
      data_credentials_id: credentialId,
      source_config: { streams: ['projects', 'errors', 'events'] },
      destination: pgDestinationUrl(schema),
    });
    sourceId = src.id;
    await s.runToEnd(sourceId);
    const [open] = await adminQuery<{ project_id: string; error_id: string; valid_from: Date }>(
      `SELECT project_id, error_id, valid_from FROM ${t('error_history')} WHERE valid_to IS NULL AND status = 'open' LIMIT 1`,
    );
    hot = { project_id: open!.project_id, error_id: open!.error_id };
    const fixedAt = new Date(Date.now() - 3 * HOUR).toISOString();
    const reopenedAt = new Date(Date.now() - HOUR).toISOString();
    await adminQuery(
      `UPDATE ${t('error_history')} SET valid_to = $1 WHERE project_id = $2 AND error_id = $3 AND valid_to IS NULL`,
      [fixedAt, hot.project_id, hot.error_id],
    );
    for (const [status, from, to, by] of [
      ['fixed', fixedAt, reopenedAt, 'status_pass'],
      ['open', reopenedAt, null, 'webhook'],
    ] as const)
      await adminQuery(
        `INSERT INTO ${t('error_history')} (project_id, error_id, status, severity, assigned_collaborator_id, assigned_team_id, valid_from, valid_to, observed_by, _run_id)
         SELECT project_id, error_id, $1, severity, assigned_collaborator_id, assigned_team_id, $2, $3, $4, _run_id FROM ${t('error_history')}
         WHERE project_id = $5 AND error_id = $6 AND valid_from = $7`,
        [status, from, to, by, hot.project_id, hot.error_id, open!.valid_from],
      );
  }, 60_000);
  afterAll(async () => {
    await s?.cleanup();
    await sim?.close();
    await dropSchema(schema);
  });

  it('freshness: the newest received_at, last_seen_unfiltered and _synced_at, as ISO text', async () => {
    const f = (await s.api('GET', `/api/data_sources/${sourceId}/freshness`)).json() as {
      streams: Array<{ stream: string; newest_at: string | null }>;
      error: string | null;
    };
    expect(f.error).toBeNull();
    const [m] = await adminQuery<{ events: Date; errors: Date; projects: Date }>(
      `SELECT (SELECT MAX(received_at) FROM ${t('events')}) AS events, (SELECT MAX(last_seen_unfiltered) FROM ${t('errors')}) AS errors,
              (SELECT MAX(_synced_at) FROM ${t('projects')}) AS projects`,
    );
    const by = Object.fromEntries(f.streams.map((x) => [x.stream, x.newest_at]));
    expect(by).toEqual({
      projects: m!.projects.toISOString(),
      errors: m!.errors.toISOString(),
      events: m!.events.toISOString(),
    });
  });

  it("an error's history: its intervals in order", async () => {
    const rows = await adminQuery<{ status: string; valid_from: Date }>(
      `SELECT status, valid_from FROM ${t('error_history')} WHERE project_id = $1 AND error_id = $2 ORDER BY valid_from`,
      [hot.project_id, hot.error_id],
    );
    const h = (
      await s.api('GET', `/api/data_sources/${sourceId}/errors/${hot.project_id}/${hot.error_id}/history`)
    ).json() as { kept: boolean; intervals: Array<{ status: string; valid_from: string }> };
    expect(h.kept).toBe(true);
    expect(h.intervals.map((i) => [i.status, i.valid_from])).toEqual(
      rows.map((r) => [r.status, r.valid_from.toISOString()]),
    );
    expect(rows.map((r) => r.status)).toEqual(['open', 'fixed', 'open']);
  });

  it('the Overview offers the views, creates them, and shows time to fix and one reopened error', async () => {
    const page = async () => (await s.app.inject({ method: 'GET', url: '/', headers: { cookie: b.cookie } })).body;
    expect(await page()).toContain('data-time-card="no-views"');
    const res = await postForm(s.app, b, `/sources/${sourceId}/models`, { return_to: '/' });
    expect(res.statusCode).toBe(303);
    const html = await page();
    expect(html).toContain('data-time-card="views"');
    expect(html).toContain('data-reopened="1"');
    const mttr = await adminQuery<{ median_seconds_to_fix: number }>(`SELECT median_seconds_to_fix FROM ${t('mttr')}`);
    expect(mttr).toHaveLength(1);
    expect(html).toContain(`data-seconds="${mttr[0]!.median_seconds_to_fix}"`);
  });
});
