import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { login, type Browser } from './helpers.js';
import { postForm, sourcesServer, startSim, wizardFields, type SourcesServer } from './sources-helpers.js';

/** The wizard's Test validates like Save: every problem at once, on the wizard's fields; a passing Test clears them. */

let sim: Simulator;
let s: SourcesServer;
let b: Browser;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim();
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  b = await login(s.app);
});
afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

const post = (fields: Record<string, string | string[]>, mode: 'page' | 'fetch' = 'page') =>
  postForm(s.app, b, '/sources', fields, mode);
const body = (over: Record<string, string | string[]>) => wizardFields(credentialId, over);

describe("the wizard's Test", () => {
  it('reports every problem at once, then clears them when it passes', async () => {
    const bad = await post(body({ start_date: 'whenever', streams: ['comments'], filters: 'no-equals-sign' }), 'fetch');
    expect(bad.statusCode).toBe(400);
    const fields = bad.json().fields as Record<string, { message: string }>;
    expect(Object.keys(fields).sort()).toEqual(['filters', 'start_date', 'streams']);
    expect(fields.start_date!.message).toContain('whenever');
    expect(fields.streams!.message).toContain('errors stream');

    const none = await post(body({ credential_id: '', start_date: 'whenever' }), 'fetch');
    expect(Object.keys(none.json().fields).sort()).toEqual(['credential_id', 'start_date']);

    const good = await post(body({}), 'fetch');
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ ok: true, fields: {} });
    expect(good.json().panels[0].html).toContain('data-preview-count=');
  });

  it('without JS, marks every field on the page', async () => {
    const page = await post(body({ start_date: 'whenever', streams: ['comments'] }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('is not a time snagsync understands');
    expect(page.body).toContain('read through the errors stream');
    expect(page.body).toContain('Fix the fields marked above');
  });
});
