import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ADVICE, webAdvice } from '../../src/server/runs/advice.js';
import type { Simulator } from '../../src/sim/index.js';
import { login, postForm } from './helpers.js';
import { parseSse, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Issue 23, defect 3: the web UI and the HTTP API never advise a CLI command — not in the credential Test flash after
 * a revoked token, not on the FAILED tile after a revocation mid-run, not in an API hint about streams. Each failure
 * kind is rendered on every page and in every answer the server shows it in, and the whole text is scanned for a
 * CLI command or flag.
 */

/** A CLI command or a long flag anywhere in a text. */
const CLI =
  /snagsync (?:credentials|sources|sync|runs|streams|serve|schedule|store|writeback|demo|sim)\b|(^|[\s(`'"=])--[a-z]/;

let sim: Simulator;
let s: SourcesServer;
beforeAll(async () => {
  sim = await startSim();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
});
afterEach(async () => {
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await s.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;

/** Every page a browser could be on for these failures, each as its whole HTML. */
async function pages(cookie: string, urls: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of urls) {
    const res = await s.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(res.statusCode, url).toBeLessThan(500);
    out[url] = res.body;
  }
  return out;
}

function expectNoCli(texts: Record<string, string>): void {
  for (const [where, text] of Object.entries(texts)) expect(CLI.exec(text)?.[0], where).toBeUndefined();
}

describe('every hint of the web UI and the API speaks to the web UI and the API', () => {
  it('a token revoked mid-run: the FAILED tile, the credential in the API, the run page and feed; then Test', async () => {
    const credentialId = await s.credential(sim, 'Sim multi-org');
    const source = await s.source({
      name: 'revoked-mid-run',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    sim.revokeToken(admin().token);
    const runId = await s.runToEnd(source.id);
    const b = await login(s.app);

    const seen = await pages(b.cookie, [
      '/credentials',
      `/runs/${runId}`,
      '/runs',
      '/sources',
      `/sources/${source.id}`,
    ]);
    expect(seen['/credentials']).toContain('FAILED');
    expect(seen['/credentials']).toContain('Replace token');
    seen['GET /api/data_credentials/:id'] = (await s.api('GET', `/api/data_credentials/${credentialId}`)).body;
    seen['GET /api/data_credentials'] = (await s.api('GET', '/api/data_credentials')).body;
    seen['GET /api/runs/:id'] = (await s.api('GET', `/api/runs/${runId}`)).body;
    seen['GET /api/runs/:id/events'] = (await s.api('GET', `/api/runs/${runId}/events`)).body;
    expect(parseSse(seen['GET /api/runs/:id/events']).some((m) => m.event === 'run-done')).toBe(true);
    expect(seen['GET /api/data_credentials/:id']).toContain('Replace token');

    // Test on the tile: as app.js sends it (the flash text in JSON), and as a plain form post (the flash on the page).
    const fetched = await postForm(s.app, b, `/credentials/${credentialId}/test`, {}, 'fetch');
    expect(fetched.json().messageKind).toBe('error');
    seen['Test (fetch)'] = fetched.json().message;
    const posted = await postForm(s.app, b, `/credentials/${credentialId}/test`, {});
    expect(posted.statusCode).toBe(303);
    seen['Test (page)'] = (await pages(b.cookie, ['/credentials']))['/credentials']!;
    expect(seen['Test (page)']).toContain('failed the test');
    seen['POST /api/data_credentials/:id/probe'] = (
      await s.api('POST', `/api/data_credentials/${credentialId}/probe`)
    ).body;
    expect(seen['Test (fetch)']).toContain('Replace token');
    expectNoCli(seen);
  });

  it('streams: an unknown one and a child without its parent, in the API and in the wizard', async () => {
    const credentialId = await s.credential(sim);
    const seen: Record<string, string> = {};
    for (const streams of [['nope'], ['comments']]) {
      const r = await s.api('POST', '/api/data_sources', {
        name: `bad ${streams[0]}`,
        data_credentials_id: credentialId,
        source_config: { streams },
      });
      expect(r.statusCode).toBe(400);
      seen[`POST /api/data_sources ${streams[0]}`] = r.body;
    }
    expect(seen['POST /api/data_sources nope']).toContain('Streams: ');
    const b = await login(s.app);
    for (const stream of ['nope', 'comments']) {
      const r = await postForm(s.app, b, '/sources', {
        intent: 'save',
        credential_id: credentialId,
        streams: stream,
        name: `wizard ${stream}`,
      });
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      seen[`wizard ${stream}`] = r.body;
    }
    expectNoCli(seen);
  });

  it('a source whose credential was deleted: Run now says what to do on the page, not in the terminal', async () => {
    const credentialId = await s.credential(sim);
    const source = await s.source({
      name: 'orphan',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    expect((await s.api('DELETE', `/api/data_credentials/${credentialId}?force=true`)).statusCode).toBe(200);
    const seen: Record<string, string> = {};
    seen['POST /api/data_sources/:id/runs'] = (await s.api('POST', `/api/data_sources/${source.id}/runs`)).body;
    const b = await login(s.app);
    const fetched = await postForm(s.app, b, `/sources/${source.id}/run`, {}, 'fetch');
    seen['Run now (fetch)'] = fetched.body;
    await postForm(s.app, b, `/sources/${source.id}/run`, {});
    seen['Run now (page)'] = (await pages(b.cookie, ['/sources']))['/sources']!;
    expect(seen['Run now (page)']).toContain('disabled');
    expectNoCli(seen);
  });

  it('webAdvice drops the CLI part of a hint and keeps the rest (the net under every hint the server shows)', () => {
    const cases: Array<[string, string | undefined]> = [
      ['Streams: errors, events (see `snagsync streams`).', 'Streams: errors, events.'],
      ['Add errors: --streams comments,errors.', undefined],
      [
        'Everything synced so far is kept. Update it with `snagsync credentials update Sim multi-org --token-stdin`, then sync again.',
        'Everything synced so far is kept.',
      ],
      [
        'Restore master.key from your backup. If the key is lost, enter each token again (snagsync credentials update NAME --token-stdin).',
        'Restore master.key from your backup. If the key is lost, enter each token again.',
      ],
      ['Choose another name, or edit it on its page.', 'Choose another name, or edit it on its page.'],
      ['snagsync stores it encrypted.', 'snagsync stores it encrypted.'],
    ];
    for (const [hint, web] of cases) {
      expect(webAdvice(hint)).toBe(web);
      if (web) expect(web).not.toMatch(CLI_ADVICE);
    }
  });
});
