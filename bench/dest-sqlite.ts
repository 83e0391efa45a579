// Local write speed of the destinations against a bare loop that inserts the same pages with no destination layer.
// Run: npx tsx bench/dest-sqlite.ts [records] [pageSize]   (prints one JSON line)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDestination } from '../src/destinations/index.js';
import { EVENTS, pageRecords } from '../test/destinations/fixtures.js';

const total = Number(process.argv[2] ?? 200_000);
const pageSize = Number(process.argv[3] ?? 30);
const pages = Math.ceil(total / pageSize);
const dir = mkdtempSync(join(tmpdir(), 'snagsync-bench-'));

function bare(): number {
  const db = new Database(join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE events (project_id TEXT, id TEXT, received_at TEXT, data TEXT, PRIMARY KEY (project_id, id))');
  const insert = db.prepare('INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?)');
  const state = db.prepare('INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?)');
  const page = db.transaction((records: ReturnType<typeof pageRecords>, p: number) => {
    for (const r of records) insert.run(r.project_id, r.id, r.received_at, JSON.stringify(r));
    state.run('state', String(p), null, JSON.stringify({ next: p + 1 }));
  });
  const start = performance.now();
  for (let p = 0; p < pages; p++) page(pageRecords(p, pageSize), p);
  const ms = performance.now() - start;
  db.close();
  return ms;
}

async function destination(url: string): Promise<number> {
  const dest = await openDestination(url);
  await dest.prepare([EVENTS]);
  const start = performance.now();
  for (let p = 0; p < pages; p++) {
    await dest.writePage('events', pageRecords(p, pageSize), {
      sourceId: 'src_bench',
      partition: 'project:all',
      state: { next: p + 1 },
    });
  }
  const ms = performance.now() - start;
  await dest.close();
  return ms;
}

// Generating the records is part of both loops, as fetching and parsing would be; measured alone to show its share.
const genStart = performance.now();
for (let p = 0; p < pages; p++) pageRecords(p, pageSize);
const generateMs = performance.now() - genStart;

const bareMs = bare();
const sqliteMs = await destination(`sqlite:${join(dir, 'dest.db')}`);
const jsonlMs = await destination(`jsonl:${join(dir, 'jsonl')}`);
const rate = (ms: number) => Math.round((pages * pageSize) / (ms / 1000));
console.log(
  JSON.stringify({
    records: pages * pageSize,
    pageSize,
    generate_ms: Math.round(generateMs),
    bare_per_s: rate(bareMs),
    sqlite_destination_per_s: rate(sqliteMs),
    sqlite_vs_bare: Number((bareMs / sqliteMs).toFixed(2)),
    jsonl_destination_per_s: rate(jsonlMs),
  }),
);
rmSync(dir, { recursive: true, force: true });
