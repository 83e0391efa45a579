import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { createCredentialService } from '../../src/credentials/service.js';
import { exitCodeOf, startRun } from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';
import { diffKeys, keyOf, simTruth, stored } from './truth.js';

/**
 * Failures during a run keep everything committed and say what to do: a token revoked mid-sync (auth_revoked, exit
 * 22; the rerun resumes once the token works again), server errors past the retry budget on one stream (the run is
 * partial, the other streams are stored), a run already in progress (conflict).
 */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 30, events: 1500, releases: 5 });
  h = await makeHome(sim);
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

describe('a token revoked in the middle of a sync', () => {
  it('fails the run with auth_revoked, keeps what was committed, and the rerun resumes after the token is restored', async () => {
    const dest = `sqlite:${join(h.home, 'revoked.db')}`;
    const source = await h.source({ destination: dest, streams: ['events'] });
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const run = await startRun(h.runtime, source.name);
    let pages = 0;
    run.events.subscribe((e) => {
      if (e.type === 'page' && ++pages === 15) sim.revokeToken(token);
    });
    const failed = await run.done;
    expect(failed.status).toBe('failed');
    expect(failed.error?.error).toBe('auth_revoked');
    expect(exitCodeOf(failed)).toBe(22);
    expect(failed.error?.message).toMatch(/sim-admin/);
    expect(failed.error?.hint).toMatch(/credentials update sim-admin --token-stdin/);
    expect(JSON.stringify(failed)).not.toContain(token);
    const kept = await stored(dest, 'events', keyOf.events);
    expect(kept.rows).toBeGreaterThanOrEqual(14 * 30);
    const record = await h.runtime.store.runs.findById(failed.run_id);
    expect(record.status).toBe('failed');
    expect(record.error?.error).toBe('auth_revoked');
    // The credential no longer shows as valid: FAILED, with the run's reason on the token field.
    const credentials = createCredentialService({
      store: h.runtime.store,
      vault: h.runtime.vault,
      home: h.home,
      env: h.env,
    });
    const marked = await credentials.getCredential('sim-admin');
    expect(marked.verified_status).toBe('FAILED');
    expect(Date.parse(marked.verified_at!)).toBeGreaterThanOrEqual(Date.parse(failed.started_at));
    expect(marked.verify_error).toMatchObject({
      error: 'auth_revoked',
      field: 'token',
      exit_code: 22,
      message: failed.error!.message,
    });
    expect(JSON.stringify(marked)).not.toContain(token);
    // Still refused: a test keeps it FAILED, and still says revoked (it worked before).
    expect((await credentials.testCredential('sim-admin')).credential).toMatchObject({
      verified_status: 'FAILED',
      verify_error: { error: 'auth_revoked' },
    });

    sim.restoreToken(token);
    const tested = await credentials.testCredential('sim-admin');
    expect(tested.ok).toBe(true);
    expect(tested.credential).toMatchObject({ verified_status: 'VERIFIED', verify_error: null });
    sim.resetStats();
    const rerun = await (await startRun(h.runtime, source.name)).done;
    expect(rerun.status, JSON.stringify(rerun.error)).toBe('succeeded');
    const eventsRequests = sim.stats().byToken.admin!.endpoints['GET /projects/{project_id}/events']!;
    const truth = await simTruth(sim);
    const got = await stored(dest, 'events', keyOf.events);
    expect(diffKeys(truth.events, got.byKey)).toEqual({ missing: [], extra: [] });
    // Resumed, not restarted: the 14 or more pages committed before the 401 are not read again.
    expect(eventsRequests).toBeLessThanOrEqual(Math.ceil(truth.events.size / 30) - 14);
  });
});

describe('a successful sync after a 401', () => {
  it('records the credential VERIFIED again without a manual test (and VERIFIED for a credential saved unverified)', async () => {
    const source = await h.source({
      role: 'multi-org',
      destination: `sqlite:${join(h.home, 'reverified.db')}`,
      streams: ['projects'],
    });
    const token = sim.tokens.find((t) => t.role === 'multi-org')!.token;
    const credentials = createCredentialService({
      store: h.runtime.store,
      vault: h.runtime.vault,
      home: h.home,
      env: h.env,
    });
    sim.revokeToken(token);
    const refused = await (await startRun(h.runtime, source.name)).done;
    expect(refused.error?.error).toBe('auth_revoked');
    expect((await credentials.getCredential('sim-multi-org')).verified_status).toBe('FAILED');

    sim.restoreToken(token);
    const ok = await (await startRun(h.runtime, source.name)).done;
    expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
    const after = await credentials.getCredential('sim-multi-org');
    expect(after).toMatchObject({ verified_status: 'VERIFIED', verify_error: null });
    expect(Date.parse(after.verified_at!)).toBeGreaterThanOrEqual(Date.parse(ok.started_at));
    // The organizations the last test found are kept.
    expect(after.organizations.length).toBeGreaterThan(0);

    const cred = await h.runtime.store.credentials.findByNameOrId('sim-multi-org');
    await h.runtime.store.credentials.update(cred.id, {
      verified_status: 'UNVERIFIED',
      verified_at: null,
      verify_error: null,
    });
    const again = await (await startRun(h.runtime, source.name)).done;
    expect(again.status).toBe('succeeded');
    expect((await credentials.getCredential('sim-multi-org')).verified_status).toBe('VERIFIED');
  });
});

describe('server errors past the retry budget on one stream', () => {
  it('fail that stream (the run is partial, exit 17), the others are stored, and the rerun completes it', async () => {
    const dest = `sqlite:${join(h.home, 'partial.db')}`;
    const source = await h.source({ destination: dest, streams: ['releases', 'event_fields'] });
    sim.setFaults('500:1~/releases');
    const partial = await (await startRun(h.runtime, source.name)).done;
    sim.setFaults('');
    expect(partial.status).toBe('partial');
    expect(partial.error?.error).toBe('server_error');
    expect(exitCodeOf(partial)).toBe(17);
    const rows = await h.runtime.store.runs.listStreams(partial.run_id);
    // One row per project (2) for each stream, so that neither check holds of an empty list.
    expect(rows.filter((r) => r.stream === 'releases').map((r) => r.outcome)).toEqual(['failed', 'failed']);
    expect(rows.filter((r) => r.stream === 'event_fields').map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(
      (await stored(dest, 'event_fields', (r) => `${r.project_id as string}|${r.display_id as string}`)).rows,
    ).toBeGreaterThan(0);
    const again = await (await startRun(h.runtime, source.name)).done;
    expect(again.status).toBe('succeeded');
    expect((await stored(dest, 'releases', keyOf.releases)).rows).toBe(10);
  });
});

describe('a second sync of the same source while one runs', () => {
  it('is refused with conflict', async () => {
    const source = await h.source({ destination: `sqlite:${join(h.home, 'busy.db')}`, streams: ['events'] });
    const first = await startRun(h.runtime, source.name);
    await expect(startRun(h.runtime, source.name)).rejects.toMatchObject({ code: 'conflict' });
    first.cancel();
    expect((await first.done).status).toBe('cancelled');
  });
});
