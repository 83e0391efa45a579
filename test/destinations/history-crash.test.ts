import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import { requireService } from '../helpers/services.js';
import { forkTs } from '../store/fork-helper.js';
import { tempDir } from '../store/helpers.js';
import { expectedHistory } from './history-pages.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

const CHILD = new URL('./children/history-loop.ts', import.meta.url);

type Kind = 'sqlite' | 'jsonl' | 'postgres';
const KINDS: Kind[] = ['sqlite', 'jsonl', ...(requireService('postgres') ? (['postgres'] as const) : [])];

function place(kind: Kind): { url: string; cleanup: () => Promise<void> } {
  if (kind === 'postgres') {
    const schema = uniqueSchema('snag_history_kill');
    return { url: pgDestinationUrl(schema), cleanup: () => dropSchema(schema) };
  }
  const t = tempDir();
  return { url: `${kind}:${join(t.dir, kind === 'sqlite' ? 'dest.db' : 'dest')}`, cleanup: async () => t.cleanup() };
}

/** The destination's error_history is exactly what its committed pages imply; returns how many pages that is. */
async function verify(url: string): Promise<number> {
  const dest = await openDestination(url);
  try {
    await dest.prepare([descriptorOf(getStream('errors'))]);
    const cp = (await dest.readCheckpoint('src_kill', 'errors', 'project:p1')) as { nextPage: number } | null;
    const pages = cp?.nextPage ?? 0;
    const rows = (await dest.listRecords('error_history'))
      .map((r) => ({
        id: r.error_id as string,
        status: r.status as string,
        from: new Date(r.valid_from as string).toISOString(),
        to: r.valid_to === null ? null : new Date(r.valid_to as string).toISOString(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id) || a.from.localeCompare(b.from));
    expect(rows).toEqual(expectedHistory(pages));
    return pages;
  } finally {
    await dest.close();
  }
}

describe.each(KINDS)('error_history in a %s destination under kill -9', (kind) => {
  it('holds exactly the intervals of the committed pages across kills, replays and resumes', async () => {
    const { url, cleanup } = place(kind);
    try {
      let last = 0;
      for (let round = 0; round < 3; round++) {
        const child = forkTs(CHILD, [url, '1000000']);
        const { page: resumedAt } = await child.waitFor<{ page: number }>((m) => m.type === 'resumed');
        expect(resumedAt).toBe(last);
        const target = resumedAt + 2 + round;
        await child.waitFor((m) => m.type === 'committed' && (m.page as number) >= target);
        child.proc.kill('SIGKILL');
        expect((await child.exited).signal).toBe('SIGKILL');
        last = await verify(url);
        expect(last).toBeGreaterThanOrEqual(target);
      }
      const child = forkTs(CHILD, [url, String(last + 4)]);
      await child.waitFor((m) => m.type === 'done');
      expect((await child.exited).code).toBe(0);
      expect(await verify(url)).toBe(last + 4);
    } finally {
      await cleanup();
    }
  });
});
