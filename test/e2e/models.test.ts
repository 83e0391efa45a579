import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { runCli } from '../helpers/cli.js';

/**
 * `snagsync models apply|list` and a source's `--models` as a user runs them (the compiled CLI: `npm run build`
 * first): the views after a sync, apply twice changing nothing, views without their tables skipped with the reason,
 * and a JSONL destination refused in words.
 */
let sim: Simulator;
let h: Home;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 10, events: 150, releases: 4 });
  h = await makeHome(sim);
  await h.credential('admin');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const cli = (args: string[]) => runCli(args, { env: { ...h.env, SNAGSYNC_PROGRESS: 'none' }, cwd: h.home });
const VIEWS = ['error_lifecycle', 'errors_daily', 'mttr', 'release_health', 'top_errors_7d'];

function viewsIn(file: string): Array<{ name: string; sql: string }> {
  const db = new Database(join(h.home, file), { readonly: true });
  try {
    return db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name`).all() as Array<{
      name: string;
      sql: string;
    }>;
  } finally {
    db.close();
  }
}

describe('snagsync models', () => {
  it('a source created with --models has the views after its sync; apply twice replaces them and changes no data', async () => {
    const created = await cli([
      'sources',
      'create',
      '--name',
      'app',
      '--credential',
      'sim-admin',
      '--destination',
      'sqlite:app.db',
      '--streams',
      'errors,events,releases',
      '--models',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const sync = await cli(['sync', 'app', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect((JSON.parse(sync.stdout) as { warnings: unknown[] }).warnings).toEqual([]);
    const after = viewsIn('app.db');
    expect(after.map((v) => v.name)).toEqual(VIEWS);

    const db = new Database(join(h.home, 'app.db'), { readonly: true });
    const counts = () =>
      db
        .prepare(
          'SELECT (SELECT COUNT(*) FROM errors) e, (SELECT COUNT(*) FROM events) v, (SELECT COUNT(*) FROM error_history) h',
        )
        .get();
    const before = counts();
    const lifecycle = db.prepare('SELECT * FROM error_lifecycle ORDER BY error_id').all();
    expect(lifecycle.length).toBe(10);

    const first = await cli(['models', 'apply', 'app']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('5 created or replaced, 0 skipped');
    const second = await cli(['models', 'apply', 'app', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({
      source: 'app',
      kind: 'sqlite',
      location: join(h.home, 'app.db'),
      views: ['error_lifecycle', 'mttr', 'errors_daily', 'release_health', 'top_errors_7d'].map((name) => ({
        name,
        status: 'created',
      })),
    });
    expect(viewsIn('app.db')).toEqual(after);
    expect(counts()).toEqual(before);
    expect(db.prepare('SELECT * FROM error_lifecycle ORDER BY error_id').all()).toEqual(lifecycle);
    db.close();
  });

  it('skips the views whose tables a source does not sync, saying which stream to sync', async () => {
    expect(
      (
        await cli([
          'sources',
          'create',
          '--name',
          'only-errors',
          '--credential',
          'sim-admin',
          '--destination',
          'sqlite:errors-only.db',
          '--streams',
          'errors',
        ])
      ).code,
    ).toBe(0);
    expect((await cli(['sync', 'only-errors'])).code).toBe(0);
    expect(viewsIn('errors-only.db')).toEqual([]);
    const r = await cli(['models', 'apply', 'only-errors']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 created or replaced, 3 skipped');
    expect(r.stdout).toMatch(
      /errors_daily\s+skipped\s+the destination has no events table yet \(sync the events stream first\)/,
    );
    expect(viewsIn('errors-only.db').map((v) => v.name)).toEqual(['error_lifecycle', 'mttr']);
  });

  it('a JSONL destination: apply says views need SQLite or PostgreSQL (exit 3); a sync with --models warns', async () => {
    const made = await cli([
      'sources',
      'create',
      '--name',
      'files',
      '--credential',
      'sim-admin',
      '--destination',
      'jsonl:files',
      '--streams',
      'errors',
      '--models',
    ]);
    expect(made.code, made.stderr).toBe(0);
    const r = await cli(['models', 'apply', 'files']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SQLite and PostgreSQL destinations; .*files is a JSONL folder/);
    const sync = await cli(['sync', 'files', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect((JSON.parse(sync.stdout) as { warnings: unknown[] }).warnings).toEqual([
      expect.objectContaining({ code: 'models', message: expect.stringMatching(/JSONL destination .* no views/) }),
    ]);
  });

  it('models list names each view, its question and tables; an unknown source is exit 4', async () => {
    const list = await cli(['models', 'list', '--json']);
    expect(list.code).toBe(0);
    const views = JSON.parse(list.stdout) as Array<{ name: string; tables: string[] }>;
    expect(views.map((v) => v.name).sort()).toEqual(VIEWS);
    expect(views.find((v) => v.name === 'mttr')!.tables).toEqual(['error_history']);
    expect((await cli(['models', 'apply', 'nope'])).code).toBe(4);
  });
});
