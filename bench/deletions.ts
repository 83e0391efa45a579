// What marking deletions costs after a full pass (docs/sync.md, Deletions): a destination holds PROJECTS × ERRORS
// errors; a full pass of one project rewrites all of its errors but one; `markDeleted` for that project is timed —
// in SQLite (an UPDATE through the key's prefix) and JSONL (a scan of the file, lines of other projects skipped
// unparsed). It must mark exactly the one row. Prints one JSON line.
// Run: npx tsx bench/deletions.ts [--projects 25] [--errors 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDestination } from '../src/destinations/index.js';
import { descriptorOf, getStream } from '../src/streams/catalog.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const PROJECTS = Number(arg('projects', '25'));
const ERRORS = Number(arg('errors', '1000'));
const dir = mkdtempSync(join(tmpdir(), 'snagsync-deletions-'));
const error = (p: number, i: number, status: string) => ({
  project_id: `p${p}`,
  id: `e${i}`,
  status,
  error_class: 'NoMethodError',
  message: `undefined method for nil ${'x'.repeat(150)}`,
  last_seen_unfiltered: '2026-01-14T00:00:00.000Z',
});

const out: Record<string, unknown> = { bench: 'deletions', projects: PROJECTS, errors_per_project: ERRORS };
for (const kind of ['sqlite', 'jsonl'] as const) {
  const dest = await openDestination(kind === 'sqlite' ? `sqlite:${join(dir, 'd.db')}` : `jsonl:${join(dir, 'j')}`);
  await dest.prepare([descriptorOf(getStream('errors'))]);
  for (let p = 0; p < PROJECTS; p++)
    for (let from = 0; from < ERRORS; from += 100)
      await dest.writePage(
        'errors',
        Array.from({ length: Math.min(100, ERRORS - from) }, (_, i) => error(p, from + i, 'open')),
        { sourceId: 's', partition: `project:p${p}`, state: null },
      );
  // The pass begins strictly after every row written so far (rows are stamped by the millisecond).
  const begun = Date.now();
  while (Date.now() <= begun) {
    // the next millisecond: no timer is that precise
  }
  const seenSince = new Date().toISOString();
  const seen = Array.from({ length: ERRORS - 1 }, (_, i) => error(0, i, 'fixed'));
  for (let from = 0; from < seen.length; from += 100)
    await dest.writePage('errors', seen.slice(from, from + 100), {
      sourceId: 's',
      partition: 'project:p0',
      state: null,
    });
  const t = performance.now();
  const r = await dest.markDeleted!('errors', {
    sourceId: 's',
    scope: { project_id: 'p0' },
    seenSince,
    at: new Date().toISOString(),
  });
  const ms = performance.now() - t;
  if (r.marked !== 1) throw new Error(`${kind}: marked ${r.marked}, expected 1`);
  out[`${kind}_ms`] = Math.round(ms * 10) / 10;
  await dest.close();
}
console.log(JSON.stringify({ ...out, rows: PROJECTS * ERRORS }));
rmSync(dir, { recursive: true, force: true });
