import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { last4 } from '../../src/core/redact.js';
import { authenticateStep } from '../../src/server/components/authenticate.js';
import type { Simulator } from '../../src/sim/index.js';
import { notifierKey, startSmallSim } from '../credentials/helpers.js';
import { login, postForm, testServer, type Browser, type TestServer } from './helpers.js';

/** The credential pages without JS (plain form POSTs, redirects, inline errors) and with app.js (fragments, JSON). */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSmallSim();
});
afterAll(async () => {
  await sim.close();
});

let s: TestServer;
let b: Browser;
beforeEach(async () => {
  s = await testServer({ verify: { logger: false, timeoutMs: 5000 } });
  b = await login(s.app);
});
afterEach(async () => {
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await s.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;
const get = (url: string, headers: Record<string, string> = {}) =>
  s.app.inject({ method: 'GET', url, headers: { cookie: b.cookie, ...headers } });

/** The form fields of the Add New Credential form, with the simulator as an on-premise host. */
const fields = (over: Record<string, string> = {}) => ({
  name: 'Bugsnag production',
  description: 'hourly errors',
  token: admin().token,
  host: 'custom',
  host_custom: sim.url,
  ...over,
});

/** The attributes of the element with this id. */
function element(body: string, id: string): string {
  const m = new RegExp(`<(?:input|select|textarea)[^>]*id="${id}"[^>]*>`).exec(body);
  if (!m) throw new Error(`no element #${id}`);
  return m[0];
}

describe('credentials page', () => {
  it('shows an empty state and the Add Credential tile linking to the form', async () => {
    const res = await get('/credentials');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('No credentials yet');
    expect(res.body).toMatch(/<a href="\/credentials\/new" data-dialog[^>]*>.*Add Credential/s);
    expect(res.body).toContain('<a class="skip-link" href="#main">');
    expect(res.body).toMatch(/<a href="\/credentials" aria-current="page">Credentials<\/a>/);
  });

  it('the form is generated from the credential type: required name with an asterisk, password token, host presets, help', async () => {
    const res = await get('/credentials/new');
    expect(res.body).toContain('Add New Credential');
    expect(res.body).toMatch(
      /<label for="credential-create-name">Credential Name<span class="required" aria-hidden="true"> \*<\/span>/,
    );
    expect(element(res.body, 'credential-create-name')).toContain('required');
    expect(res.body).toContain('Credential Description');
    expect(element(res.body, 'credential-create-token')).toContain('type="password"');
    expect(res.body).toContain('My account settings → Personal auth tokens → Generate New Token');
    expect(res.body).toContain('shown only once');
    expect(res.body).toMatch(/<option value="https:\/\/api.bugsnag.com" selected>Bugsnag/);
    expect(res.body).toContain('SmartBear-hosted BugSnag');
    expect(res.body).toMatch(/<option value="custom">On-premise/);
    expect(res.body).toMatch(/<button type="submit" class="button primary"[^>]*>Save<\/button>/);
    expect(element(res.body, 'credential-create-name')).toContain(
      'aria-describedby="credential-create-name-help credential-create-name-count credential-create-name-error"',
    );
    // The length limit is said, not enforced by a silent `maxlength` cut.
    expect(element(res.body, 'credential-create-name')).not.toContain('maxlength');
    expect(res.body).toContain('At most 100 characters.');
  });

  it('a fragment request gets only the content (for the overlay), a normal one the whole page', async () => {
    const frag = await get('/credentials/new', { 'x-snagsync-fragment': '1' });
    expect(frag.body.trimStart().startsWith('<section')).toBe(true);
    expect(frag.body).not.toContain('<html');
    expect(frag.headers.vary).toContain('X-Snagsync-Fragment');
  });
});

describe('adding a credential without JS', () => {
  it('saves, redirects to the page with the new tile selected and a flash message', async () => {
    const res = await postForm(s.app, b, '/credentials', fields());
    expect(res.statusCode, res.body).toBe(303);
    const [c] = await s.runtime.store.credentials.list();
    expect(res.headers.location).toBe(`/credentials?selected=${c!.id}#cred-${c!.id}`);
    const page = await get(res.headers.location as string);
    expect(page.body).toContain('Saved &quot;Bugsnag production&quot;: VERIFIED.');
    expect(page.body).toMatch(
      new RegExp(`<li class="tile is-selected" id="cred-${c!.id}"[^>]*aria-current="true"[^>]*data-selected="true"`),
    );
    expect(page.body).toContain(`<code>…${last4(admin().token)}</code>`);
    expect(page.body).toMatch(/data-status="VERIFIED"><span aria-hidden="true">✓<\/span> VERIFIED/);
    expect(page.body).toMatch(
      /checked <time datetime="[^"]+">just now <span class="exact-time">\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)<\/span><\/time>/,
    );
    expect(page.body).not.toContain(admin().token);
    // The flash is shown once.
    expect((await get('/credentials')).body).not.toContain('Saved &quot;');
  });

  it('a bad token: 422, the error inline on the token field, everything else kept, the token not sent back', async () => {
    const bad = 'wrong-token-that-bugsnag-rejects';
    const res = await postForm(s.app, b, '/credentials', fields({ token: bad }));
    expect(res.statusCode).toBe(422);
    const token = element(res.body, 'credential-create-token');
    expect(token).toContain('aria-invalid="true"');
    expect(token).not.toContain('value=');
    expect(res.body).toMatch(
      /<p class="field-error" id="credential-create-token-error" data-error-for="token"><span class="error-message">Bugsnag rejected the token/,
    );
    expect(element(res.body, 'credential-create-name')).toContain('value="Bugsnag production"');
    expect(res.body).toContain('>hourly errors</textarea>');
    expect(res.body).toMatch(/<option value="custom" selected>On-premise/);
    expect(element(res.body, 'credential-create-host-custom')).toContain(`value="${sim.url}"`);
    expect(element(res.body, 'credential-create-name')).not.toContain('aria-invalid');
    expect(res.body).not.toContain(bad);
    expect(res.body).toContain('enter it again');
  });

  it('a project API key gets its own message; a missing name and an empty on-premise URL are shown together', async () => {
    const key = notifierKey(sim);
    const res = await postForm(s.app, b, '/credentials', fields({ token: key }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('looks like a project API key');
    expect(res.body).not.toContain(key);

    const both = await postForm(s.app, b, '/credentials', fields({ name: '', host_custom: '' }));
    expect(both.statusCode).toBe(400);
    expect(element(both.body, 'credential-create-name')).toContain('aria-invalid="true"');
    expect(element(both.body, 'credential-create-host-custom')).toContain('aria-invalid="true"');
    expect(both.body).toContain('Enter the API URL of your on-premise Bugsnag.');
    expect(await s.runtime.store.credentials.list()).toHaveLength(0);
  });

  it('a taken name is shown on the name field (409)', async () => {
    await postForm(s.app, b, '/credentials', fields());
    const res = await postForm(s.app, b, '/credentials', fields({ name: 'BUGSNAG PRODUCTION' }));
    expect(res.statusCode).toBe(409);
    expect(element(res.body, 'credential-create-name')).toContain('aria-invalid="true"');
    expect(res.body).toContain('already exists');
  });

  it('from an Authenticate step: returns to the wizard with the new credential', async () => {
    const res = await postForm(
      s.app,
      b,
      '/credentials',
      fields({ tile: 'pick', tile_input: 'credential_id', return_to: '/sources/new?step=2' }),
    );
    const [c] = await s.runtime.store.credentials.list();
    expect(res.headers.location).toBe(`/sources/new?step=2&credential_id=${c!.id}`);
    const evil = await postForm(
      s.app,
      b,
      '/credentials',
      fields({ name: 'other', return_to: 'https://evil.example/' }),
    );
    expect(evil.headers.location).toBe(
      `/?credential_id=${(await s.runtime.store.credentials.list()).find((x) => x.name === 'other')!.id}`,
    );
  });
});

describe('adding a credential with app.js (fetch, JSON)', () => {
  it('success: 201 with the new tile, selected', async () => {
    const res = await postForm(s.app, b, '/credentials', fields(), 'fetch');
    expect(res.statusCode).toBe(201);
    const body = res.json() as { ok: boolean; tile: { id: string; html: string }; message: string };
    expect(body.ok).toBe(true);
    expect(body.message).toMatch(/VERIFIED/);
    expect(body.tile.html).toContain('is-selected');
    expect(body.tile.html).toContain('Bugsnag production');
    expect(res.body).not.toContain(admin().token);
  });

  it('failure: the field problems and which field to empty', async () => {
    const bad = await postForm(s.app, b, '/credentials', fields({ token: 'nope-nope-nope-nope' }), 'fetch');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({
      ok: false,
      error: 'auth_invalid',
      fields: { token: { message: expect.stringMatching(/rejected/), hint: expect.any(String) } },
      clear: ['token'],
    });
    const name = await postForm(s.app, b, '/credentials', fields({ name: 'x'.repeat(101) }), 'fetch');
    expect(name.statusCode).toBe(400);
    expect(name.json()).toMatchObject({
      ok: false,
      fields: { name: { message: expect.stringMatching(/100/) } },
      clear: [],
    });
  });

  it('a pick tile for an Authenticate step', async () => {
    const res = await postForm(
      s.app,
      b,
      '/credentials',
      fields({ tile: 'pick', tile_input: 'credential_id' }),
      'fetch',
    );
    const body = res.json() as { tile: { html: string } };
    expect(body.tile.html).toMatch(
      /<input type="radio" class="tile-radio" id="credential_id-cred_[^"]+" name="credential_id" value="cred_[^"]+" checked/,
    );
  });
});

describe('tile actions', () => {
  async function created() {
    await postForm(s.app, b, '/credentials', fields());
    return (await s.runtime.store.credentials.list())[0]!;
  }

  it('test: records and shows the new status (revoked → FAILED with the reason)', async () => {
    const c = await created();
    sim.revokeToken(admin().token);
    const res = await postForm(s.app, b, `/credentials/${c.id}/test`, {});
    expect(res.statusCode).toBe(303);
    const page = await get(res.headers.location as string);
    expect(page.body).toContain('failed the test');
    expect(page.body).toMatch(/data-status="FAILED"/);
    expect(page.body).toContain('now rejects this token');
    sim.restoreToken(admin().token);
    const again = await postForm(s.app, b, `/credentials/${c.id}/test`, {}, 'fetch');
    expect(again.json()).toMatchObject({ ok: true, message: expect.stringMatching(/VERIFIED/) });
    expect((again.json() as { tile: { html: string } }).tile.html).toContain('data-status="VERIFIED"');
  });

  it('edit: the form holds the current values; a change is saved; errors are inline', async () => {
    const c = await created();
    const form = await get(`/credentials/${c.id}/edit`);
    expect(element(form.body, 'credential-edit-name')).toContain('value="Bugsnag production"');
    expect(form.body).not.toContain('credential-edit-token');
    const bad = await postForm(s.app, b, `/credentials/${c.id}/edit`, {
      name: '',
      description: 'x',
      host: 'custom',
      host_custom: sim.url,
    });
    expect(bad.statusCode).toBe(400);
    expect(element(bad.body, 'credential-edit-name')).toContain('aria-invalid="true"');
    const ok = await postForm(s.app, b, `/credentials/${c.id}/edit`, {
      name: 'Renamed',
      description: 'new words',
      host: 'custom',
      host_custom: sim.url,
    });
    expect(ok.statusCode).toBe(303);
    expect(await s.runtime.store.credentials.get(c.id)).toMatchObject({ name: 'Renamed', description: 'new words' });
  });

  it('replace token: a rejected one leaves the old one; a good one replaces it', async () => {
    const c = await created();
    const member = sim.tokens.find((t) => t.role === 'member')!;
    const bad = await postForm(s.app, b, `/credentials/${c.id}/token`, { token: 'still-wrong-token-xyz' }, 'fetch');
    expect(bad.statusCode).toBe(422);
    expect((await s.runtime.store.credentials.get(c.id))!.token_last4).toBe(last4(admin().token));
    const ok = await postForm(s.app, b, `/credentials/${c.id}/token`, { token: member.token }, 'fetch');
    expect(ok.statusCode).toBe(200);
    expect((await s.runtime.store.credentials.get(c.id))!.token_last4).toBe(last4(member.token));
    expect(ok.body).not.toContain(member.token);
  });

  it('delete: warns with the sources that use it, and the force delete disables them', async () => {
    const c = await created();
    const src = await s.runtime.store.sources.create({
      name: 'nightly errors',
      credential_id: c.id,
      destination: `sqlite:${s.home}/b.db`,
    });
    const warning = await get(`/credentials/${c.id}/delete`);
    expect(warning.body).toContain('1 source uses this credential');
    expect(warning.body).toContain('nightly errors');
    expect(warning.body).toContain('Delete and disable 1 source');
    const res = await postForm(s.app, b, `/credentials/${c.id}/delete`, { force: '1' }, 'fetch');
    expect(res.json()).toMatchObject({
      ok: true,
      removeTile: `cred-${c.id}`,
      message: expect.stringMatching(/Disabled 1 source/),
    });
    expect((await s.runtime.store.sources.get(src.id))!.status).toBe('disabled');
  });

  it('delete without force while a source appeared meanwhile: 409, the warning again', async () => {
    const c = await created();
    await s.runtime.store.sources.create({ name: 'late', credential_id: c.id, destination: `sqlite:${s.home}/b.db` });
    const res = await postForm(s.app, b, `/credentials/${c.id}/delete`, {});
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('late');
  });

  it('an unknown credential is a 404 page', async () => {
    const res = await get('/credentials/cred_000000000000000000/edit');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Not found');
  });
});

describe('Authenticate step component', () => {
  it('renders pick tiles as a radio group with an Add tile that comes back to the wizard', async () => {
    await postForm(s.app, b, '/credentials', fields());
    const views = await s.app.snag.credentials.listCredentials();
    const out = authenticateStep({
      credentials: views,
      selectedId: views[0]!.id,
      returnTo: '/sources/new?step=2',
      now: Date.now(),
    }).value;
    expect(out).toContain('<legend>Authenticate</legend>');
    expect(out).toMatch(/type="radio"[^>]*name="credential_id" value="cred_[^"]+" checked/);
    expect(out).toContain(
      'href="/credentials/new?tile=pick&amp;tile_input=credential_id&amp;return_to=%2Fsources%2Fnew%3Fstep%3D2"',
    );
    expect(out).toContain('data-tiles="pick"');
    expect(() => authenticateStep({ credentials: [], returnTo: '/', now: 0, inputName: 'bad name"' })).toThrow();
    // The form page opened from it carries the pick target through.
    const form = await get('/credentials/new?tile=pick&tile_input=credential_id&return_to=%2Fsources%2Fnew');
    expect(form.body).toContain('<input type="hidden" name="tile" value="pick">');
    expect(form.body).toContain('<input type="hidden" name="return_to" value="/sources/new">');
  });
});
