import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { simWrites } from '../writeback/helpers.js';
import { login, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** A table input's preview: the first 20 rows of the synced errors table its filter selects, read-only, cut short. */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim({ errors: 40 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  browser = await login(s.app);
});
afterEach(async () => {
  await s.cleanup();
});

const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });

describe('the destination table preview', () => {
  it('shows the first 20 rows the filter selects, a few columns, long values cut short, nothing written', async () => {
    const src = await s.source({
      name: 'prod',
      data_credentials_id: credentialId,
      destination: 'sqlite:triage.db',
      source_config: { streams: ['errors'] },
    });
    await s.runToEnd(src.id);
    const db = new Database(join(s.home, 'triage.db'), { readonly: true });
    const open = db
      .prepare(`SELECT id, message FROM errors WHERE status = 'open' ORDER BY project_id, id LIMIT 21`)
      .all() as Array<{ id: string; message: string | null }>;
    const closed = db.prepare(`SELECT id FROM errors WHERE status <> 'open' LIMIT 1`).get() as
      | { id: string }
      | undefined;
    db.close();
    expect(open.length).toBe(21);
    const created = await s.api('POST', '/api/data_sinks', {
      name: 'fix open',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: { type: 'table', data_source_id: 'prod', filter: "status = 'open'" },
        operation: { name: 'fix' },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const sinkId = created.json().id as string;
    const writes = simWrites(sim);

    const page = await get(`/destinations/${sinkId}`);
    expect(page.body).toContain(`href="/destinations/${sinkId}/preview"`);
    const res = await get(`/destinations/${sinkId}/preview`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('data-table-preview');
    expect(res.body).toMatch(/<th scope="col">error_class<\/th>/);
    const rows = res.body.split('<tbody>')[1]!.split('</tbody>')[0]!.match(/<tr>/g) ?? [];
    expect(rows).toHaveLength(20);
    for (const r of open.slice(0, 20)) expect(res.body).toContain(`<td>${r.id}</td>`);
    expect(res.body).not.toContain(`<td>${open[20]!.id}</td>`);
    if (closed) expect(res.body).not.toContain(`<td>${closed.id}</td>`);
    // Cells are cut at 60 characters.
    for (const cell of res.body.match(/<td>[^<]*<\/td>/g) ?? []) expect(cell.length).toBeLessThanOrEqual(60 + 9 + 10);
    expect(simWrites(sim)).toBe(writes);

    // A file input has no table to preview.
    const file = await s.api('POST', '/api/data_sinks', {
      name: 'a file',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: { type: 'file', format: 'jsonl', content: JSON.stringify({ project_id: 'p', error_id: open[0]!.id }) },
        operation: { name: 'fix' },
      },
    });
    const fileId = file.json().id as string;
    expect((await get(`/destinations/${fileId}`)).body).not.toContain('/preview"');
    expect((await get(`/destinations/${fileId}/preview`)).statusCode).toBe(404);
  });
});
