import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRun } from '../../src/engine/index.js';
import { newCredentialId } from '../../src/store/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { STREAMS } from '../../src/streams/catalog.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';

/**
 * `_record` is the API's JSON plus the parent ids snagsync adds, nothing else: every stream is synced (heavy ones
 * too) into SQLite through a loopback relay that fetches each request from the simulator with plain `fetch` and
 * keeps the raw answer; every stored `_record`, minus the added ids, must then be one of the objects the simulator
 * answered, value for value (timestamps in the API's own spelling, no field added from elsewhere in the record).
 */

/** Fields a stream adds to the API's object: the parent ids (and what a stream documents it joins in). */
const ADDED: Record<string, readonly string[]> = {
  release_groups: ['release_stage_name'],
  stability_trend: ['release_stage_name'],
  saved_searches: ['usage_summary'],
  feature_flags: ['release_stage_name', 'error_overview'],
  feature_flag_variants: ['release_stage_name', 'feature_flag_id', 'feature_flag_name', 'error_overview'],
  trends: ['resolution'],
  pivot_values: ['event_field_display_id'],
};
const PARENT_IDS = ['organization_id', 'project_id', 'error_id'];
/** Never stored (credentials of the project, not data). */
const SECRETS = ['api_key', 'upload_api_key'];

let sim: Simulator;
let h: Home;
let relay: Server;
const answers: unknown[] = [];

/** Sorted keys, so that two objects with the same values compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function omit(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

/** Every object anywhere in the answers (stability_trend's rows are points inside the answer). */
function objectsOf(v: unknown, out: Record<string, unknown>[]): void {
  if (Array.isArray(v)) for (const x of v) objectsOf(x, out);
  else if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const x of Object.values(v)) objectsOf(x, out);
  }
}

beforeAll(async () => {
  // Seed 4: among its four projects a browser one, so that page loads are compared too.
  sim = await startSim({ seed: 4, orgs: 1, projects: 4, errors: 30, events: 150, releases: 15 });
  h = await makeHome(sim);
  relay = createServer(async (req, res) => {
    const upstream = await fetch(`${sim.url}${req.url}`, {
      method: req.method,
      headers: { authorization: String(req.headers.authorization ?? ''), 'x-version': '2' },
    });
    const text = await upstream.text();
    if (upstream.ok && text) answers.push(JSON.parse(text));
    const headers: Record<string, string> = {};
    for (const [k, v] of upstream.headers) {
      if (['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) continue;
      headers[k] = v.split(sim.url).join(relayUrl());
    }
    res.writeHead(upstream.status, headers).end(text);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => relay.close(resolve));
  await h.cleanup();
  await sim.close();
});

function relayUrl(): string {
  return `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
}

describe('stored records are the API answers', () => {
  it('every stream: _record minus the added ids equals an object the simulator answered', async () => {
    // A credential whose host is the relay (the sealed token is the simulator's own).
    const t = sim.tokens.find((x) => x.role === 'admin')!;
    const id = newCredentialId();
    await h.runtime.store.credentials.create({
      id,
      name: 'relayed',
      host: relayUrl(),
      ...(await h.runtime.vault.seal(id, t.token)),
      verified_status: 'VERIFIED',
      verified_at: new Date(),
      organizations: t.organizations.map((oid) => ({ id: oid, name: oid, slug: null })),
    });
    const dest = join(h.home, 'fidelity.db');
    const { createSource } = await import('../../src/engine/sources.js');
    const { source } = await createSource(
      h.runtime,
      { name: 'fidelity', credential: 'relayed', destination: `sqlite:${dest}`, streams: STREAMS.map((s) => s.name) },
      { cwd: h.home },
    );
    const summary = await (await startRun(h.runtime, source.name, {})).done;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');

    const raw: Record<string, unknown>[] = [];
    objectsOf(answers, raw);
    const db = new Database(dest, { readonly: true });
    try {
      for (const s of STREAMS) {
        const dropped = [...PARENT_IDS, ...(ADDED[s.name] ?? [])];
        const known = new Set(raw.map((o) => canonical(omit(o, [...dropped, ...SECRETS]))));
        const rows = db.prepare(`SELECT "_record" AS r FROM "${s.name}"`).all() as Array<{ r: string }>;
        expect(rows.length, `${s.name} has rows to compare`).toBeGreaterThan(0);
        const unfaithful = rows
          .map((row) => omit(JSON.parse(row.r) as Record<string, unknown>, dropped))
          .filter((rec) => !known.has(canonical(rec)));
        expect(unfaithful.slice(0, 1), `${s.name}: records not as the API sent them`).toEqual([]);
      }
    } finally {
      db.close();
    }
  });

  it('typed columns still hold canonical timestamps (ISO UTC with milliseconds)', () => {
    const db = new Database(join(h.home, 'fidelity.db'), { readonly: true });
    try {
      const times = db.prepare('SELECT release_time AS t FROM releases').all() as Array<{ t: string | null }>;
      expect(times.length).toBeGreaterThan(0);
      for (const { t } of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const raws = db.prepare(`SELECT "_record" ->> '$.release_time' AS t FROM releases`).all() as Array<{ t: string }>;
      expect(
        raws.some(({ t }) => !t.endsWith('Z')),
        'the API spells release_time with an offset',
      ).toBe(true);
      const events = db
        .prepare(`SELECT error_class AS c, "_record" ->> '$.error_class' AS raw FROM events`)
        .all() as Array<{ c: string | null; raw: string | null }>;
      expect(
        events.every((e) => typeof e.c === 'string' && e.c.length > 0),
        'error_class column filled',
      ).toBe(true);
    } finally {
      db.close();
    }
  });
});
