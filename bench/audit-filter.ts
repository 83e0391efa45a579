// The Audit page's reads on a large audit log (SQLite store): one page of 50, newest first, unfiltered and with each
// filter the page offers — an actor (indexed), a resource (a word of the route: no index), a method and outcome, a
// time range — each checked to return what it should, against a bare `SELECT … ORDER BY id DESC LIMIT 51` in the same
// run (the ratio); and the JSONL export of a filter, in entries per second. The log is written once with one
// transaction (the store's append is one transaction per entry, too slow to fill a million).
// Run: npx tsx bench/audit-filter.ts [--entries 1000000] [--runs 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/index.js';
import type { AuditQuery } from '../src/store/audit.js';

const opt = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ENTRIES = opt('entries', 1_000_000);
const RUNS = opt('runs', 5);
const START = Date.parse('2026-01-01T00:00:00Z');
const STEP_MS = 10_000;

const ROUTES = ['/api/data_sources/:id', '/api/data_sinks/:id/apply', '/sources/:id/run', '/api/runs/:id/cancel'];
const dir = mkdtempSync(join(tmpdir(), 'snagsync-audit-'));
const path = join(dir, 'snagsync.db');
try {
  const store = openSqliteStore(path);
  await store.audit.list({ limit: 1 }); // migrated
  const db = new Database(path);
  const insert = db.prepare(
    `INSERT INTO audit_log (at, actor, actor_kind, method, route, resource_id, fields, status, outcome, permission, kind, address)
     VALUES (?, ?, 'token', ?, ?, ?, '["name"]', ?, ?, NULL, 'change', '127.0.0.1')`,
  );
  const filled = performance.now();
  db.transaction(() => {
    for (let n = 0; n < ENTRIES; n++) {
      // One token creation in 10,000 entries (rare: the filters that need it scan far); 1 in 50 refused.
      const rare = n % 10_000 === 5_000;
      insert.run(
        new Date(START + n * STEP_MS).toISOString(),
        `user${n % 20}@example.com`,
        rare ? 'POST' : n % 3 ? 'PUT' : 'POST',
        rare ? '/api/tokens' : ROUTES[n % ROUTES.length]!,
        rare ? null : `src_${n % 1000}`,
        n % 50 === 0 ? 403 : 200,
        n % 50 === 0 ? 'refused' : 'ok',
      );
    }
  })();
  db.close();
  console.log(
    `${ENTRIES.toLocaleString('en-US')} entries written in ${((performance.now() - filled) / 1000).toFixed(1)} s`,
  );

  const raw = new Database(path, { readonly: true });
  const bare = raw.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT 51');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = async (fn: () => Promise<unknown> | unknown) => {
    await fn();
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await fn();
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  const baseline = await time(() => bare.all());
  console.log(`bare newest 51 rows: ${baseline.toFixed(2)} ms (median of ${RUNS})`);

  const end = START + (ENTRIES - 1) * STEP_MS;
  const cases: Array<[string, Omit<AuditQuery, 'limit'>, (e: { route: string }) => boolean]> = [
    ['no filter', {}, () => true],
    ['actor (indexed)', { actor: 'user7@example.com' }, () => true],
    ['resource = a route word, 1 in 10,000', { resource: 'tokens' }, (e) => e.route === '/api/tokens'],
    ['resource = an id', { resource: 'src_42' }, () => true],
    ['method POST + outcome refused', { method: 'POST', outcome: 'refused' }, () => true],
    [
      'time range: the oldest day',
      { since: new Date(START).toISOString(), until: new Date(START + 86_400_000).toISOString() },
      () => true,
    ],
    ['time range: the last hour', { since: new Date(end - 3_600_000).toISOString() }, () => true],
  ];
  console.log('| filter | entries on the page | median ms | × bare |');
  console.log('|---|---|---|---|');
  for (const [name, q, check] of cases) {
    const page = await store.audit.list({ limit: 50, ...q });
    if (!page.entries.every(check)) throw new Error(`${name}: an entry does not match`);
    const ms = await time(() => store.audit.list({ limit: 50, ...q }));
    console.log(`| ${name} | ${page.entries.length} | ${ms.toFixed(1)} | ${(ms / baseline).toFixed(0)} |`);
  }

  // The JSONL export: every entry of a filter, 500 a page, as GET /api/audit?format=jsonl reads them.
  for (const [name, q] of [
    ['refused (1 in 50)', { outcome: 'refused' as const }],
    ['whole log', {}],
  ] as const) {
    const t = performance.now();
    let n = 0;
    let before: number | undefined;
    do {
      const page = await store.audit.list({ limit: 500, ...q, ...(before !== undefined ? { before } : {}) });
      for (const e of page.entries) n += JSON.stringify(e).length > 0 ? 1 : 0;
      before = page.next_before ?? undefined;
    } while (before !== undefined);
    const s = (performance.now() - t) / 1000;
    console.log(
      `export ${name}: ${n.toLocaleString('en-US')} entries in ${s.toFixed(2)} s (${Math.round(n / s).toLocaleString('en-US')}/s)`,
    );
  }
  raw.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
