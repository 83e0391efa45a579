import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import type { RunExecutor } from '../../src/engine/executor.js';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simErrorIds, simWrites } from '../writeback/helpers.js';
import { login, postForm } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Issue 23, the small defects of item 6 that the server renders: a discard applied without its tick, a sync that
 * did not start shown in the green "Saved" banner, "after 1 attempts", "Try again in 120 s" said twice, and the
 * login page telling visitors where the key file is on the server's disk.
 */

let sim: Simulator;
let s: SourcesServer;
beforeAll(async () => {
  sim = await startSim({ errors: 6 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  sim.setFaults('');
  await s.cleanup();
});

const flashes = (body: string) =>
  [...body.matchAll(/<p class="flash flash-(\w+)">([\s\S]*?)<\/p>/g)].map((m) => ({ kind: m[1], text: m[2]! }));

describe('small defects of the web UI', () => {
  beforeEach(async () => {
    s = await sourcesServer();
  });

  it('Apply of a discard without the tick: the plan again, the problem on the tick box, nothing sent', async () => {
    const credentialId = await s.credential(sim);
    const project = projectsOf(sim)[0]!;
    const ids = await simErrorIds(sim, project, 2);
    const created = await s.api('POST', '/api/data_sinks', {
      name: 'Drop two',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: {
          type: 'file',
          format: 'jsonl',
          content: ids.map((id) => JSON.stringify({ project_id: project, error_id: id })).join('\n'),
        },
        operation: { name: 'discard', params: {} },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const sinkId = created.json().id as string;
    const b = await login(s.app);
    const res = await postForm(s.app, b, `/destinations/${sinkId}/apply`, {});
    expect(res.statusCode).toBe(400);
    // The plan is there, with Apply, and the tick box says what is missing.
    expect(res.body).toContain('data-plan-summary');
    expect(res.body).toMatch(/<form method="post" action="\/destinations\/snk_[0-9a-z]+\/apply"/);
    expect(res.body).toMatch(/<div class="field field-check has-error" data-field="confirm">/);
    expect(res.body).toMatch(/id="apply-confirm"[^>]*aria-invalid="true"[^>]*aria-describedby="apply-confirm-error"/);
    expect(res.body).toMatch(/id="apply-confirm-error"[^>]*>[\s\S]*Tick the box to confirm the discard/);
    expect(res.body).not.toContain('Not applied');
    expect(simWrites(sim)).toBe(0);
  });

  it('Save with "Run it now" when the sync cannot start: "Saved" in green, the failure as an error of its own', async () => {
    await s.cleanup();
    const refusing: RunExecutor = {
      kind: 'refusing',
      start: async () => {
        throw new SnagError('conflict', 'A run of this source is already in progress.');
      },
    } as unknown as RunExecutor;
    s = await sourcesServer({ executor: refusing });
    const credentialId = await s.credential(sim);
    const b = await login(s.app);
    const saved = await postForm(s.app, b, '/sources', {
      intent: 'save',
      credential_id: credentialId,
      streams: 'errors',
      name: 'runs at once',
      run_now: '1',
    });
    expect(saved.statusCode, saved.body.slice(0, 500)).toBe(303);
    const next = await s.app.inject({ method: 'GET', url: saved.headers.location!, headers: { cookie: b.cookie } });
    const shown = flashes(next.body);
    const success = shown.filter((f) => f.kind === 'success');
    const errors = shown.filter((f) => f.kind === 'error');
    expect(success.map((f) => f.text).join(' ')).toContain('Saved');
    expect(success.map((f) => f.text).join(' ')).not.toContain('did not start');
    expect(errors.map((f) => f.text).join(' ')).toContain('The sync did not start: A run of this source is already');
  });

  it('a rate-limited Test says when to try again once; a read refused after one attempt says "1 attempt"', async () => {
    const credentialId = await s.credential(sim);
    sim.setFaults('429storm:120s');
    const b = await login(s.app);
    const tested = await postForm(s.app, b, `/credentials/${credentialId}/test`, {}, 'fetch');
    const message = tested.json().message as string;
    expect(message).toContain('try again in 120 s');
    expect(message.match(/try again in/gi)).toHaveLength(1);
    const sample = (await s.api('POST', `/api/data_credentials/${credentialId}/probe/sample`)).json();
    expect(sample.error).toBe('rate_limited');
    expect(sample.message).not.toMatch(/\b1 attempts\b/);
    expect(sample.message).toMatch(/after 1 attempt \(/);
  });

  it('the login page says where the key comes from without the path of the key file', async () => {
    for (const res of [
      await s.app.inject({ method: 'GET', url: '/login' }),
      // A wrong key: the advice on the field names no path either.
      await (async () => {
        const page = await s.app.inject({ method: 'GET', url: '/login' });
        const nonce = /name="_login" value="([^"]+)"/.exec(page.body)![1]!;
        const cookie = String(page.headers['set-cookie']).split(';')[0]!;
        return s.app.inject({
          method: 'POST',
          url: '/login',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
          payload: new URLSearchParams({ _login: nonce, key: 'not-the-key-at-all', next: '/' }).toString(),
        });
      })(),
    ]) {
      expect(res.body).toContain('printed when the server first started');
      expect(res.body).not.toContain(s.home);
      expect(res.body).not.toContain('server.key');
    }
  });
});
