import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, login, testServer, type TestServer } from './helpers.js';

/** The API and the web UI give their own advice: never a CLI command or flag. */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSmallSim();
});
afterAll(async () => {
  await sim.close();
});

let s: TestServer;
beforeEach(async () => {
  s = await testServer({ verify: { logger: false, timeoutMs: 5000 } });
});
afterEach(async () => {
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await s.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;

async function api(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const res = await s.app.inject({ method, url, headers: keyHeaders(), ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.body, json: () => res.json() as Record<string, unknown> };
}

/** Every piece of advice in an answer (top-level hint and per-field hints). */
function advice(body: Record<string, unknown>): string {
  const hints = (body.hints ?? {}) as Record<string, string>;
  return [body.hint ?? '', ...Object.values(hints)].join(' | ');
}

const CLI = /snagsync [a-z]|(^|\s)--[a-z]/;

describe('server advice', () => {
  it('a revoked token: probe and sample advise the tile or the API, not a CLI command', async () => {
    const created = (
      await api('POST', '/api/data_credentials', {
        name: 'Revoked',
        credentials: { auth_token: admin().token, host: sim.url },
      })
    ).json();
    sim.revokeToken(admin().token);
    for (const url of [
      `/api/data_credentials/${created.id}/probe`,
      `/api/data_credentials/${created.id}/probe/sample`,
    ]) {
      const r = await api('POST', url);
      expect(r.status).toBe(422);
      const hint = advice(r.json());
      expect(hint).toContain('Replace token');
      expect(hint).not.toMatch(CLI);
    }
    // The recorded failure, as the API and the tiles show it later.
    const recorded = (await api('GET', `/api/data_credentials/${created.id}`)).json();
    const error = recorded.verify_error as Record<string, unknown>;
    expect(error.hint).toContain('Replace token');
    expect(String(error.hint)).not.toMatch(CLI);
    expect(error).not.toHaveProperty('server_hint');
    const b = await login(s.app);
    const page = await s.app.inject({ method: 'GET', url: '/credentials', headers: { cookie: b.cookie } });
    expect(page.body).toContain('data-tile-status');
    expect(page.body).toContain('Replace token');
    expect(page.body).not.toMatch(/snagsync credentials update/);
  });

  it('a damaged stored token: the probe advises "Replace token", not the CLI', async () => {
    const created = (
      await api('POST', '/api/data_credentials', {
        name: 'Damaged',
        credentials: { auth_token: admin().token, host: sim.url },
      })
    ).json();
    const db = new Database(join(s.home, 'snagsync.db'));
    try {
      const row = db.prepare('SELECT token_envelope FROM credentials WHERE id = ?').get(created.id) as {
        token_envelope: string;
      };
      // Flip one character of the sealed token: the integrity check must fail.
      const env = row.token_envelope;
      const i = env.length - 5;
      const flipped = env.slice(0, i) + (env[i] === 'A' ? 'B' : 'A') + env.slice(i + 1);
      db.prepare('UPDATE credentials SET token_envelope = ? WHERE id = ?').run(flipped, created.id);
    } finally {
      db.close();
    }
    const r = await api('POST', `/api/data_credentials/${created.id}/probe`);
    const body = r.json();
    expect(body.error).toBe('vault');
    expect(advice(body)).toContain('Replace token');
    expect(advice(body)).not.toMatch(CLI);
  });

  it('unknown ids and taken names advise the API and the pages', async () => {
    const missing = (await api('GET', '/api/data_credentials/nope')).json();
    expect(missing.error).toBe('missing');
    expect(advice(missing)).toContain('GET /api/data_credentials');
    expect(advice(missing)).not.toMatch(CLI);
    const body = { name: 'Twice', credentials: { auth_token: admin().token, host: sim.url } };
    expect((await api('POST', '/api/data_credentials', body)).status).toBe(201);
    const taken = (await api('POST', '/api/data_credentials', body)).json();
    expect(taken.error).toBe('conflict');
    expect(advice(taken)).not.toMatch(CLI);
  });

  it('a time filter on a source is refused with advice about the start date, not --start-date', async () => {
    const cred = (
      await api('POST', '/api/data_credentials', {
        name: 'For source',
        credentials: { auth_token: admin().token, host: sim.url },
      })
    ).json();
    const r = await api('POST', '/api/data_sources', {
      name: 'timed',
      data_credentials_id: cred.id,
      source_config: { filters: { 'event.since': ['2026-01-01'] } },
    });
    expect(r.status).toBe(400);
    const hint = advice(r.json());
    expect(hint).toMatch(/start date/);
    expect(hint).not.toMatch(CLI);
  });

  it('the credential page of the web UI shows no CLI command either for a missing credential', async () => {
    const b = await login(s.app);
    const res = await s.app.inject({ method: 'GET', url: '/credentials/nope/edit', headers: { cookie: b.cookie } });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Credentials page');
    expect(res.body).not.toMatch(/snagsync credentials list/);
  });
});
