import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { openPostgresStore, openStore, type Store } from '../../src/store/index.js';
import { requireService } from '../helpers/services.js';
import { credentialInput, tempDir } from './helpers.js';
import { adminQuery, testSchema } from './pg.js';

/** Data sinks (write-back destinations) and their runs: the same contract on SQLite and PostgreSQL. */

async function expectSnag(p: Promise<unknown>, code: string): Promise<SnagError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isSnagError(err), String(err)).toBe(true);
  expect((err as SnagError).code).toBe(code);
  return err as SnagError;
}

const BACKENDS: Array<{
  name: string;
  open: () => Promise<{ store: Store; cleanup: () => Promise<void>; kill?: (runId: string) => Promise<void> }>;
}> = [
  {
    name: 'SQLite',
    open: async () => {
      const t = tempDir();
      return { store: openStore({ home: t.dir }), cleanup: async () => t.cleanup() };
    },
  },
  ...(requireService('postgres')
    ? [
        {
          name: 'PostgreSQL',
          open: async () => {
            const s = testSchema('snagsinks');
            const store = openPostgresStore(s.url);
            await store.schemaVersion();
            return { store, cleanup: s.drop };
          },
        },
      ]
    : []),
];

describe.each(BACKENDS)('data sinks on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('creates with a config, enforces unique names and a known credential, finds by name or id, updates', async () => {
    const c = await store.credentials.create(credentialInput('c'));
    await expectSnag(store.sinks.create({ name: 'x', credential_id: 'cred_missing' }), 'missing');
    const config = { input: { type: 'file', format: 'jsonl', content: '{}' }, operation: { name: 'fix', params: {} } };
    const s = await store.sinks.create({ name: 'Triage fixes', credential_id: c.id, config });
    expect(s).toMatchObject({
      name: 'Triage fixes',
      description: null,
      credential_id: c.id,
      config,
      last_run_id: null,
    });
    expect(s.id).toMatch(/^snk_/);
    const taken = await expectSnag(store.sinks.create({ name: 'TRIAGE FIXES', credential_id: c.id }), 'conflict');
    expect(taken.details.field).toBe('name');
    expect(taken.hint).not.toMatch(/snagsync /);
    expect((await store.sinks.findByNameOrId('triage fixes')).id).toBe(s.id);
    const missing = await expectSnag(store.sinks.findByNameOrId('nope'), 'missing');
    expect(missing.serverHint).toContain('GET /api/data_sinks');
    const u = await store.sinks.update(s.id, { name: 'Renamed', description: 'weekly', config: { a: 1 } });
    expect(u).toMatchObject({ name: 'Renamed', description: 'weekly', config: { a: 1 } });
    expect((await store.sinks.list()).map((x) => x.id)).toEqual([s.id]);
    await expectSnag(store.sinks.update('snk_nope', { name: 'z' }), 'missing');
  });

  it('one live run per sink; a finished run keeps its report; removing the sink removes its runs', async () => {
    const c = await store.credentials.create(credentialInput('c'));
    const s = await store.sinks.create({ name: 'sink', credential_id: c.id });
    const run = await store.sinks.startRun(s.id, { rows: 2 });
    expect(run).toMatchObject({ sink_id: s.id, status: 'running', plan: { rows: 2 }, report: null, pid: process.pid });
    expect((await store.sinks.get(s.id))!.last_run_id).toBe(run.id);
    const second = await expectSnag(store.sinks.startRun(s.id, {}), 'conflict');
    expect(second.details.run_id).toBe(run.id);
    await expectSnag(store.sinks.remove(s.id), 'conflict');
    const done = await store.sinks.finishRun(run.id, {
      status: 'partial',
      report: { totals: { applied: 1, failed: 1 }, rows: [{ row: 1, outcome: 'applied' }] },
    });
    expect(done).toMatchObject({ status: 'partial', report: { totals: { applied: 1, failed: 1 } } });
    expect(done.finished_at).not.toBeNull();
    const next = await store.sinks.startRun(s.id, {});
    await store.sinks.finishRun(next.id, { status: 'succeeded', report: {} });
    expect((await store.sinks.listRuns(s.id)).map((r) => r.id)).toEqual([next.id, run.id]);
    await store.sinks.remove(s.id);
    expect(await store.sinks.getRun(run.id)).toBeNull();
    await expectSnag(store.sinks.finishRun(run.id, { status: 'failed' }), 'missing');
  });

  it('a run left running by a dead process is failed when the next one starts', async () => {
    const c = await store.credentials.create(credentialInput('c'));
    const s = await store.sinks.create({ name: 'sink', credential_id: c.id });
    const run = await store.sinks.startRun(s.id, {});
    // The process that started it is gone (a pid that cannot exist on this host).
    if (store.kind === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(store.location);
      db.prepare('UPDATE sink_runs SET pid = 999999999 WHERE id = ?').run(run.id);
      db.close();
    } else {
      const schema = (store as Store & { schema: string }).schema;
      await adminQuery(`UPDATE "${schema}".sink_runs SET pid = 999999999 WHERE id = $1`, [run.id]);
    }
    expect((await store.sinks.getRun(run.id))!.status).toBe('running');
    await store.sinks.failStale(s.id);
    expect(await store.sinks.getRun(run.id)).toMatchObject({ status: 'failed', error: { error: 'aborted' } });
    const next = await store.sinks.startRun(s.id, {});
    expect(next.id).not.toBe(run.id);
    // A live run (this process) is not stale.
    await store.sinks.failStale(s.id);
    expect((await store.sinks.getRun(next.id))!.status).toBe('running');
  });
});

describe.each(BACKENDS)('write-back journal lock on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('a second apply of the same input is refused while the first holds the journal; after it, or its death, not', async () => {
    const input = { input_hash: 'h1', credential_id: 'cred_1', rows: 3 };
    const first = await store.writebacks.open(input);
    const busy = await expectSnag(store.writebacks.open(input), 'conflict');
    expect(busy.message).toContain(first.id);
    expect(busy.serverHint).not.toMatch(/snagsync /);
    // Another input, or another credential: free.
    await store.writebacks.open({ ...input, input_hash: 'h2' });
    await store.writebacks.finish(first.id, 'done');
    const again = await store.writebacks.open(input);
    expect(again.attempts).toBe(2);
    // Left `running` by a process that is gone (kill -9): the next apply takes it over.
    if (store.kind === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(store.location);
      db.prepare('UPDATE writeback_journals SET pid = 999999999 WHERE id = ?').run(again.id);
      db.close();
    } else {
      const schema = (store as Store & { schema: string }).schema;
      await adminQuery(`UPDATE "${schema}".writeback_journals SET pid = 999999999 WHERE id = $1`, [again.id]);
    }
    expect((await store.writebacks.open(input)).attempts).toBe(3);
  });
});
