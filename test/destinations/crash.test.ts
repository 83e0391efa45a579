import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDestination, type Destination } from '../../src/destinations/index.js';
import { forkTs } from '../store/fork-helper.js';
import { tempDir } from '../store/helpers.js';
import { requireService } from '../helpers/services.js';
import { EVENTS, PAGE_SIZE } from './fixtures.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

const CHILD = new URL('./children/write-loop.ts', import.meta.url);

/** The destination holds exactly pages [0, nextPage): each record once, nothing from an uncommitted page. */
async function verify(dest: Destination, location: string, kind: Kind): Promise<number> {
  const cp = (await dest.readCheckpoint('src_crash', 'events', 'project:all')) as { nextPage: number } | null;
  const pages = cp?.nextPage ?? 0;
  const records = await dest.listRecords('events');
  const ids = records.map((r) => r.id as string);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(pages * PAGE_SIZE);
  expect(await dest.countRecords('events')).toBe(pages * PAGE_SIZE);
  const expected = Array.from({ length: pages * PAGE_SIZE }, (_, n) => `ev${String(n).padStart(7, '0')}`);
  expect([...ids].sort()).toEqual(expected);
  // The run's counts were committed with each page: exactly the pages kept, whatever the kill interrupted.
  const run = (await dest.listRuns!()).find((r) => r.runId === 'run_crash');
  const counted = run?.streams.find((c) => c.stream === 'events');
  expect(counted ? [counted.pages, counted.recordsWritten] : [0, 0]).toEqual([pages, pages * PAGE_SIZE]);
  if (kind === 'jsonl') {
    // The raw file, not just the de-duplicated view: every line is a distinct record.
    const lines = readFileSync(join(location, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBe(pages * PAGE_SIZE);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: string }).id)).size).toBe(lines.length);
  }
  return pages;
}

type Kind = 'sqlite' | 'jsonl' | 'postgres';
const KINDS: Kind[] = ['sqlite', 'jsonl', ...(requireService('postgres') ? (['postgres'] as const) : [])];

/** Where each kind writes: a file, a folder, a schema of its own. */
function place(kind: Kind): { location: string; url: string; cleanup: () => Promise<void> } {
  if (kind === 'postgres') {
    const schema = uniqueSchema('snag_crash');
    return { location: schema, url: pgDestinationUrl(schema), cleanup: () => dropSchema(schema) };
  }
  const t = tempDir();
  const location = kind === 'sqlite' ? join(t.dir, 'dest.db') : join(t.dir, 'dest');
  return { location, url: `${kind}:${location}`, cleanup: async () => t.cleanup() };
}

describe.each(KINDS)('%s destination under kill -9', (kind) => {
  it('keeps every committed page exactly once and its checkpoint in step, across repeated kills and resumes', async () => {
    const { location, url, cleanup } = place(kind);
    try {
      let lastPages = 0;
      for (let round = 0; round < 4; round++) {
        const child = forkTs(CHILD, [url, '1000000']);
        const { page: resumedAt } = await child.waitFor<{ page: number }>((m) => m.type === 'resumed');
        expect(resumedAt).toBe(lastPages);
        // Let it commit a few pages beyond where it resumed, then kill it wherever it happens to be.
        const target = resumedAt + 3 + round * 2;
        await child.waitFor((m) => m.type === 'committed' && (m.page as number) >= target);
        child.proc.kill('SIGKILL');
        expect((await child.exited).signal).toBe('SIGKILL');

        const dest = await openDestination(url);
        await dest.prepare([EVENTS]);
        const pages = await verify(dest, location, kind);
        expect(pages).toBeGreaterThanOrEqual(target);
        await dest.close();
        lastPages = pages;
      }
      // A final run to completion from the last checkpoint.
      const child = forkTs(CHILD, [url, String(lastPages + 5)]);
      await child.waitFor((m) => m.type === 'done');
      expect((await child.exited).code).toBe(0);
      const dest = await openDestination(url);
      await dest.prepare([EVENTS]);
      expect(await verify(dest, location, kind)).toBe(lastPages + 5);
      await dest.close();
    } finally {
      await cleanup();
    }
  });
});
