import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.js';
import { secretHash } from '../../src/store/team/secrets.js';
import { createToken, tokenHolder } from '../../src/store/team/tokens.js';
import { requireService } from '../helpers/services.js';
import { tempDir } from './helpers.js';
import { adminQuery, testSchema } from './pg.js';

/**
 * Users and API tokens, the same contract on SQLite and PostgreSQL: the first user is the owner, the last admin stays,
 * a token is kept as its sha256 only, and a revocation is seen by every process on the store.
 */

interface Fixture {
  open(): Store;
  /** Every byte of what the store holds about tokens, to look for a token in clear. */
  raw(): Promise<string>;
  /** Tries to delete the audit log behind the store's back: the error's message. */
  tamper(): Promise<string>;
  done(): Promise<void>;
}

function sqlite(): Fixture {
  const t = tempDir('snagsync-team-');
  const path = join(t.dir, 'snagsync.db');
  return {
    open: () => openSqliteStore(path),
    raw: async () => ['', '-wal'].map((s) => readOrEmpty(path + s)).join(''),
    tamper: async () => {
      const db = new Database(path);
      try {
        db.exec('DELETE FROM audit_log');
        return 'deleted';
      } catch (err) {
        return String(err);
      } finally {
        db.close();
      }
    },
    done: async () => t.cleanup(),
  };
}

function postgres(): Fixture {
  const s = testSchema('snagteam');
  return {
    open: () => openPostgresStore(s.url),
    raw: async () =>
      JSON.stringify(await adminQuery(`SELECT * FROM "${s.schema}".api_tokens`)) +
      JSON.stringify(await adminQuery(`SELECT * FROM "${s.schema}".users`)),
    tamper: () =>
      adminQuery(`DELETE FROM "${s.schema}".audit_log`).then(
        () => 'deleted',
        (err: unknown) => String(err),
      ),
    done: () => s.drop(),
  };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path).toString('latin1');
  } catch {
    return '';
  }
}

async function refusal(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(isSnagError(err, code as never), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

const KINDS: Array<[string, () => Fixture, boolean]> = [
  ['SQLite', sqlite, true],
  ['PostgreSQL', postgres, requireService('postgres')],
];

describe.each(KINDS)('users and tokens in a %s store', (_kind, make, enabled) => {
  const open: Array<{ store: Store }> = [];
  let f: Fixture;
  afterEach(async () => {
    for (const o of open.splice(0)) await o.store.close();
    await f?.done();
  });
  const storeOf = () => {
    const store = f.open();
    open.push({ store });
    return store;
  };

  it.runIf(enabled)('makes the first user the owner and keeps emails unique, whatever their case', async () => {
    f = make();
    const store = storeOf();
    const ada = await store.users.add({
      email: ' Ada@Example.com ',
      role: 'admin',
      invitation_sha256: secretHash('i1'),
    });
    const ed = await store.users.add({ email: 'ed@example.com', role: 'editor', invitation_sha256: secretHash('i2') });
    expect([ada.email, ada.owner, ed.owner]).toEqual(['ada@example.com', true, false]);
    await refusal(store.users.add({ email: 'ADA@example.com', role: 'viewer', invitation_sha256: 'x' }), 'conflict');
    expect((await store.users.find('ADA@EXAMPLE.COM')).id).toBe(ada.id);
    await refusal(store.users.find('nobody@example.com'), 'missing');
  });

  it.runIf(enabled)('never removes or demotes the last admin', async () => {
    f = make();
    const store = storeOf();
    const ada = await store.users.add({ email: 'ada@example.com', role: 'admin', invitation_sha256: 'x' });
    expect(await refusal(store.users.setRole(ada.id, 'editor'), 'conflict')).toContain('last admin');
    await refusal(store.users.remove(ada.id), 'conflict');
    const bo = await store.users.add({ email: 'bo@example.com', role: 'admin', invitation_sha256: 'y' });
    expect((await store.users.setRole(ada.id, 'viewer')).role).toBe('viewer');
    await refusal(store.users.remove(bo.id), 'conflict');
    await store.users.remove(ada.id);
    expect((await store.users.list()).map((u) => u.email)).toEqual(['bo@example.com']);
  });

  it.runIf(enabled)(
    'keeps only a token’s hash; revoking, expiry and removing the user end it for every process',
    async () => {
      f = make();
      const one = storeOf();
      const two = storeOf();
      const ed = await one.users.add({ email: 'ed@example.com', role: 'editor', invitation_sha256: 'x' });
      await one.users.add({ email: 'vi@example.com', role: 'viewer', invitation_sha256: 'y' });
      const now = Date.now();
      const a = await createToken(one, { user: 'ed@example.com', scope: 'write', expires: '1h' }, now);
      const b = await createToken(one, { user: 'vi@example.com' }, now);
      expect(a.record.scope).toBe('write');
      expect(b.record.scope).toBe('read');
      expect((await tokenHolder(two, a.token, now))?.user.id).toBe(ed.id);
      expect(await tokenHolder(two, a.token, now + 3_600_001)).toBeNull();

      const raw = await f.raw();
      expect(raw).toContain(secretHash(a.token));
      expect(raw).not.toContain(a.token);
      expect(raw).not.toContain(b.token);

      expect(await two.users.revokeToken(a.record.id, new Date(now).toISOString())).toBe(true);
      expect(await tokenHolder(one, a.token, now)).toBeNull();
      expect(await one.users.revokeToken('tok_none', new Date(now).toISOString())).toBe(false);

      expect(await tokenHolder(one, b.token, now)).not.toBeNull();
      await one.users.remove((await one.users.find('vi@example.com')).id);
      expect(await tokenHolder(two, b.token, now)).toBeNull();
      expect(await two.users.listTokens()).toHaveLength(1);
    },
  );
  it.runIf(enabled)('appends audit entries, pages them newest first, and refuses to rewrite them', async () => {
    f = make();
    const store = storeOf();
    const entry = (n: number) => ({
      at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
      actor: n % 2 ? 'ed@example.com' : 'server key',
      actor_kind: n % 2 ? ('token' as const) : ('key' as const),
      method: 'PUT',
      route: '/api/data_sources/:id',
      resource_id: `src_${n}`,
      fields: ['name', 'schedule'],
      status: 200,
      outcome: 'ok' as const,
      permission: null,
      kind: 'change' as const,
      address: '127.0.0.1',
    });
    for (let n = 1; n <= 5; n++) await store.audit.append(entry(n));
    const page = await store.audit.list({ limit: 3 });
    expect(page.entries.map((e) => e.resource_id)).toEqual(['src_5', 'src_4', 'src_3']);
    expect(page.entries[0]).toMatchObject({ ...entry(5), id: page.entries[0]!.id });
    const next = await store.audit.list({ limit: 3, before: page.next_before! });
    expect(next.entries.map((e) => e.resource_id)).toEqual(['src_2', 'src_1']);
    expect(next.next_before).toBeNull();
    const ed = await store.audit.list({ limit: 10, actor: 'ed@example.com' });
    expect(ed.entries.map((e) => e.resource_id)).toEqual(['src_5', 'src_3', 'src_1']);
    // Filters: a resource id or a part of the route, the method, the outcome, a time range ([since, until)).
    await store.audit.append({
      ...entry(6),
      method: 'POST',
      route: '/api/tokens',
      resource_id: null,
      outcome: 'refused',
    });
    const ids = async (q: Omit<Parameters<Store['audit']['list']>[0], 'limit'>) =>
      (await store.audit.list({ limit: 10, ...q })).entries.map((e) => e.resource_id ?? e.route);
    expect(await ids({ resource: 'src_2' })).toEqual(['src_2']);
    expect(await ids({ resource: 'tokens' })).toEqual(['/api/tokens']);
    expect(await ids({ method: 'POST' })).toEqual(['/api/tokens']);
    expect(await ids({ outcome: 'refused', actor: 'server key' })).toEqual(['/api/tokens']);
    expect(await ids({ since: '2026-01-01T00:02:00Z', until: '2026-01-01T00:04:00.000Z' })).toEqual(['src_3', 'src_2']);
    expect(await ids({ since: '2026-01-01T01:02:00+01:00', method: 'PUT' })).toEqual([
      'src_5',
      'src_4',
      'src_3',
      'src_2',
    ]);
    expect(await f.tamper()).toMatch(/append-only/);
  });
});
