import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { openDestination } from '../../src/destinations/index.js';
import { startRun, type RunSummary } from '../../src/engine/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import type { Simulator } from '../../src/sim/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { requireService } from '../helpers/services.js';
import { adminQuery, dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * Deletions against the simulator, in every destination: an error deleted in Bugsnag gets `_deleted_at` from the
 * errors' next full pass that completes — not from an incremental pass, not from a full pass cancelled after its
 * first page (its resumption, which completes, marks it) — and `purge_deleted` removes it instead (JSONL, append-only,
 * writes the same tombstone). Only the deleted error is marked.
 */
const HAS_PG = requireService('postgres');
type Kind = 'sqlite' | 'postgres' | 'jsonl';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres', 'jsonl'] : ['sqlite', 'jsonl'];
const DAY = 86_400_000;
const ERRORS = 150; // two pages of 100

let sim: Simulator;
let h: Home;
const schemas: string[] = [];

// A simulator per destination kind: each test deletes an error of its own.
beforeEach(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: ERRORS, events: 600 });
  h = await makeHome(sim);
});

afterEach(async () => {
  await h.cleanup();
  await sim.close();
});

afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

function destinationFor(kind: Kind, name: string): { url: string; schema?: string } {
  if (kind === 'sqlite') return { url: `sqlite:${join(h.home, `${name}.db`)}` };
  if (kind === 'jsonl') return { url: `jsonl:${join(h.home, name)}` };
  const schema = uniqueSchema('snag_deleted');
  schemas.push(schema);
  return { url: pgDestinationUrl(schema), schema };
}

/** Each stored row's `_deleted_at` (JSONL: of its last line), by id: errors, or another table keyed by a unique id. */
async function deletedAt(
  kind: Kind,
  url: string,
  schema?: string,
  table = 'errors',
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (kind === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      for (const r of db.prepare(`SELECT id, _deleted_at FROM ${table}`).all() as Array<{
        id: string;
        _deleted_at: string | null;
      }>)
        out.set(r.id, r._deleted_at);
    } finally {
      db.close();
    }
  } else if (kind === 'postgres') {
    for (const r of await adminQuery<{ id: string; d: Date | null }>(
      `SELECT id, _deleted_at AS d FROM "${schema}".${table}`,
    ))
      out.set(r.id, r.d ? r.d.toISOString() : null);
  } else {
    const text = readFileSync(join(url.slice('jsonl:'.length), `${table}.jsonl`), 'utf8');
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { id: string; _deleted_at?: string };
      out.set(r.id, r._deleted_at ?? null);
    }
  }
  return out;
}

const marked = (m: Map<string, string | null>) => [...m].filter(([, d]) => d !== null).map(([id]) => id);

/**
 * A sync; `cut` stops its errors pass: cancelled after its first page, or failed before its first page (the token
 * revoked as the stream starts — after a page, the next one may be fetched already — then restored).
 */
async function sync(name: string, now: Date, cut?: 'cancel' | 'fail'): Promise<RunSummary> {
  const ctrl = new AbortController();
  const token = sim.tokens[0]!.token;
  const run = await startRun(h.runtime, name, { now, signal: ctrl.signal });
  let once = false;
  if (cut)
    run.events.subscribe((e) => {
      if (e.type !== (cut === 'cancel' ? 'page' : 'stream-start') || e.stream !== 'errors' || once) return;
      once = true;
      if (cut === 'cancel') ctrl.abort();
      else sim.revokeToken(token);
    });
  const done = await run.done;
  if (cut === 'fail') sim.restoreToken(token);
  return done;
}

describe.each(KINDS)('deletions in %s', (kind) => {
  it('a deleted error is marked by the next full pass that completes, never by an incremental or cut one', async () => {
    const marks = destinationFor(kind, `marks-${kind}`);
    const purges = destinationFor(kind, `purges-${kind}`);
    const source = await h.source({ destination: marks.url, streams: ['errors'] });
    const purging = await h.source({ destination: purges.url, streams: ['errors'], purge_deleted: true });
    const t0 = Date.now();
    for (const s of [source, purging]) expect((await sync(s.name, new Date(t0))).status).toBe('succeeded');
    const before = await deletedAt(kind, marks.url, marks.schema);
    expect(before.size).toBe(ERRORS);
    expect(marked(before)).toEqual([]);

    // Deleted in Bugsnag (through the API, as a user would).
    const pid = sim.info().organizations[0]!.projects[0]!.id;
    const gone = [...before.keys()].sort()[0]!;
    const api = createBugsnagClient({ token: sim.tokens[0]!.token, host: sim.url, logger: false });
    await api.errors.update(pid, gone, { operation: 'delete' });

    // An incremental pass sees only its window: nothing is marked.
    expect((await sync(source.name, new Date(t0 + 3_600_000))).status).toBe('succeeded');
    expect(marked(await deletedAt(kind, marks.url, marks.schema))).toEqual([]);

    // A full pass cancelled after its first page, then failing as it goes on: nothing is marked.
    const cut = await sync(source.name, new Date(t0 + DAY + 60_000), 'cancel');
    expect(cut.status).toBe('cancelled');
    expect(marked(await deletedAt(kind, marks.url, marks.schema))).toEqual([]);
    const failed = await sync(source.name, new Date(t0 + DAY + 90_000), 'fail');
    expect(failed.status).toBe('failed');
    expect(marked(await deletedAt(kind, marks.url, marks.schema))).toEqual([]);

    // Its resumption completes the pass: the deleted error, and only it, is marked. In JSONL only by a pass begun in
    // the same run (a record read again unchanged is not appended, so no line says the pass saw it): there, by the
    // next full pass.
    expect((await sync(source.name, new Date(t0 + DAY + 120_000))).status).toBe('succeeded');
    if (kind === 'jsonl') {
      expect(marked(await deletedAt(kind, marks.url, marks.schema))).toEqual([]);
      expect((await sync(source.name, new Date(t0 + 2 * DAY + 120_000))).status).toBe('succeeded');
    }
    const after = await deletedAt(kind, marks.url, marks.schema);
    expect(after.size).toBe(ERRORS);
    expect(marked(after)).toEqual([gone]);
    const at = after.get(gone)!;

    // A later full pass keeps the first mark.
    expect((await sync(source.name, new Date(t0 + 3 * DAY + 180_000))).status).toBe('succeeded');
    expect((await deletedAt(kind, marks.url, marks.schema)).get(gone)).toBe(at);

    // purge_deleted: the row is removed (JSONL never removes a line: the tombstone says it).
    expect((await sync(purging.name, new Date(t0 + DAY + 60_000))).status).toBe('succeeded');
    const purged = await deletedAt(kind, purges.url, purges.schema);
    if (kind === 'jsonl') expect(marked(purged)).toEqual([gone]);
    else {
      expect(purged.size).toBe(ERRORS - 1);
      expect(purged.has(gone)).toBe(false);
    }
  });
});

describe.each(KINDS)('deleted comments in %s', (kind) => {
  it("are marked when their error's comment count drops (its comments read whole), the others not", async () => {
    const d = destinationFor(kind, `comments-${kind}`);
    const source = await h.source({ destination: d.url, streams: ['errors', 'comments'] });
    const t0 = Date.now();
    expect((await sync(source.name, new Date(t0))).status).toBe('succeeded');
    const dest = await openDestination(d.url);
    const comments = (await dest.listRecords('comments')) as Array<{ id: string; error_id: string }>;
    await dest.close();
    const byError = new Map<string, Array<{ id: string; error_id: string }>>();
    for (const c of comments) byError.set(c.error_id, [...(byError.get(c.error_id) ?? []), c]);
    const [errorId, own] = [...byError].find(([, cs]) => cs.length >= 2)!;
    const gone = own[0]!.id;
    const res = await fetch(`${sim.url}/comments/${gone}`, {
      method: 'DELETE',
      headers: { Authorization: `token ${sim.tokens[0]!.token}`, 'X-Version': '2' },
    });
    expect(res.status).toBe(204);

    // The errors' full pass reads the error's lower count: its comments are read whole, the one gone is marked.
    expect((await sync(source.name, new Date(t0 + DAY + 60_000))).status).toBe('succeeded');
    const marks = await deletedAt(kind, d.url, d.schema, 'comments');
    expect(marks.size).toBe(comments.length);
    expect(marked(marks)).toEqual([gone]);
    expect(own.every((c) => c.id === gone || marks.get(c.id) === null)).toBe(true);
    expect(errorId).toBeTruthy();
  });
});

describe('a project the token no longer sees', () => {
  it('is reported in the run (project-gone), and its rows are not marked deleted', async () => {
    const url = `sqlite:${join(h.home, 'gone.db')}`;
    const source = await h.source({ destination: url, streams: ['errors'] });
    const t0 = Date.now();
    expect((await sync(source.name, new Date(t0))).status).toBe('succeeded');
    // A project this source synced before (its checkpoint and an error), which the projects list no longer holds.
    const dest = await openDestination(url);
    try {
      await dest.prepare([descriptorOf(getStream('errors'))]);
      await dest.writePage('errors', [{ project_id: 'ghost', id: 'e1', status: 'open' }], {
        sourceId: source.id,
        partition: 'project:ghost',
        state: { cursor: new Date(t0).toISOString() },
      });
    } finally {
      await dest.close();
    }
    const full = await sync(source.name, new Date(t0 + DAY + 60_000));
    expect(full.status).toBe('succeeded');
    expect(full.warnings).toContainEqual(expect.objectContaining({ code: 'project-gone', partition: 'project:ghost' }));
    expect(full.warnings.filter((w) => w.code === 'project-gone')).toHaveLength(1);
    const marks = await deletedAt('sqlite', url);
    expect(marks.get('e1')).toBeNull();
    expect(marked(marks)).toEqual([]);
  });
});
