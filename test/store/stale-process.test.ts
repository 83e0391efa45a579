import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { forkTs } from './fork-helper.js';
import { credentialInput, tempDir } from './helpers.js';

describe('a run left `running` by a killed process', () => {
  let t: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    t = tempDir();
    store = openStore({ home: t.dir });
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });

  it('is detected as stale at once (its pid is gone), marked failed, and a new run can start', async () => {
    const c = await store.credentials.create(credentialInput('c'));
    const s = await store.sources.create({ name: 's', credential_id: c.id, destination: 'sqlite:/tmp/x.db' });
    const child = forkTs(new URL('./children/run-then-die.ts', import.meta.url), [t.dir, s.id]);
    const { runId } = await child.waitFor<{ runId: string }>((m) => m.type === 'started');

    // While the child lives, its run is live: no second run, not stale.
    expect(await store.runs.findStale()).toEqual([]);
    await expect(store.runs.create({ source_id: s.id, trigger: 'cli' })).rejects.toMatchObject({ code: 'conflict' });

    child.proc.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');

    expect((await store.runs.findStale()).map((r) => r.id)).toEqual([runId]);
    const next = await store.runs.create({ source_id: s.id, trigger: 'cli' });
    const old = await store.runs.findById(runId);
    expect(old).toMatchObject({
      status: 'failed',
      error: { error: 'aborted' },
      totals: { records_read: 7, requests: 2 },
    });
    expect(old.error?.message).toContain('killed or crashed');
    const [stream] = await store.runs.listStreams(runId);
    expect(stream).toMatchObject({ outcome: 'failed', message: 'interrupted' });
    expect(next.status).toBe('running');
  });
});
