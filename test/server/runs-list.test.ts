import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, type Browser, type TestServer, testServer } from './helpers.js';
import { credentialInput } from '../store/helpers.js';

/**
 * The Runs list over a real store: filtered by source, status and kind (syncs, write-backs), paged 50 at a time with
 * links that keep the filter. Runs are recorded in the store as the engine records them (no sync needed to list).
 */

let s: TestServer;
let browser: Browser;
const ids: { alpha: string[]; beta: string[]; failed: string[]; sinkRun: string } = {
  alpha: [],
  beta: [],
  failed: [],
  sinkRun: '',
};
let alphaId = '';

beforeAll(async () => {
  s = await testServer();
  browser = await login(s.app);
  const store = s.runtime.store;
  const cred = await store.credentials.create(credentialInput('c'));
  const alpha = await store.sources.create({ name: 'alpha', credential_id: cred.id, destination: 'sqlite:/tmp/a.db' });
  const beta = await store.sources.create({ name: 'beta', credential_id: cred.id, destination: 'sqlite:/tmp/b.db' });
  alphaId = alpha.id;
  for (let i = 0; i < 55; i++) {
    const run = await store.runs.create({ source_id: alpha.id, trigger: 'schedule' });
    const status = i % 10 === 3 ? 'failed' : 'succeeded';
    await store.runs.finish(run.id, {
      status,
      ...(status === 'failed' ? { error: { error: 'network', message: `attempt ${i} failed` } } : {}),
    });
    ids.alpha.push(run.id);
    if (status === 'failed') ids.failed.push(run.id);
  }
  const b = await store.runs.create({ source_id: beta.id, trigger: 'cli' });
  await store.runs.finish(b.id, { status: 'succeeded' });
  ids.beta.push(b.id);
  const sink = await store.sinks.create({ name: 'triage', credential_id: cred.id });
  const sr = await store.sinks.startRun(sink.id, {});
  await store.sinks.finishRun(sr.id, { status: 'failed', error: { message: 'Bugsnag refused the change.' } });
  ids.sinkRun = sr.id;
});

afterAll(async () => s?.cleanup());

const page = async (url: string) =>
  (await s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } })).body;
const runIds = (body: string) => [...body.matchAll(/<tr data-run-id="(run_[0-9a-z]+)"/g)].map((m) => m[1]);

describe('the Runs list', () => {
  it('pages 50 at a time, newest first, with the write-backs beside the syncs', async () => {
    const first = await page('/runs');
    // Newest first, as the store lists them (runs started in the same millisecond keep the store's order).
    const newest = (await s.runtime.store.runs.list({ limit: 200 })).map((r) => r.id);
    expect(newest.sort()).toEqual([...ids.alpha, ...ids.beta].sort());
    const ordered = (await s.runtime.store.runs.list({ limit: 200 })).map((r) => r.id);
    expect(runIds(first)).toEqual(ordered.slice(0, 50));
    expect(first).toContain('href="/runs?page=2"');
    expect(first).not.toContain('rel="prev"');
    expect(first).toContain(`data-writeback-run-id="${ids.sinkRun}"`);
    expect(first).toContain('Bugsnag refused the change.');
    const second = await page('/runs?page=2');
    expect(runIds(second)).toEqual(ordered.slice(50));
    expect(second).toContain('href="/runs"');
    expect(second).not.toContain('rel="next"');
  });

  it('filters by source, status and kind, and keeps the filter while paging', async () => {
    const beta = await page(`/runs?source=beta`);
    expect(runIds(beta)).toEqual(ids.beta);
    expect(beta).toContain('Runs of beta');
    expect(beta).not.toContain('data-writeback-run-id');

    const failed = await page('/runs?status=failed');
    expect(runIds(failed)).toEqual((await s.runtime.store.runs.list({ status: 'failed' })).map((r) => r.id));
    expect(runIds(failed).sort()).toEqual([...ids.failed].sort());
    expect(failed).toContain(`data-writeback-run-id="${ids.sinkRun}"`);
    expect(failed).toMatch(/<option value="failed" selected>failed<\/option>/);

    const alphaPage = await page(`/runs?source=${alphaId}&kind=sync`);
    const alphaOrdered = (await s.runtime.store.runs.list({ sourceId: alphaId, limit: 200 })).map((r) => r.id);
    expect(runIds(alphaPage)).toEqual(alphaOrdered.slice(0, 50));
    expect(runIds(await page(`/runs?source=${alphaId}&kind=sync&page=2`))).toEqual(alphaOrdered.slice(50));
    expect(alphaPage).toContain(`href="/runs?source=${alphaId}&amp;kind=sync&amp;page=2"`);
    expect(alphaPage).not.toContain('data-writeback-run-id');

    const writebacks = await page('/runs?kind=write-back');
    expect(runIds(writebacks)).toEqual([]);
    expect(writebacks).toContain(`data-writeback-run-id="${ids.sinkRun}"`);
    expect(await page('/runs?kind=write-back&status=succeeded')).toContain('No write-back runs match.');
  });
});
