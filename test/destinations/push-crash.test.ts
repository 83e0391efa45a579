import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDestination, type Destination } from '../../src/destinations/index.js';
import { descriptorOf, getStream } from '../../src/streams/catalog.js';
import { requireService } from '../helpers/services.js';
import { forkTs } from '../store/fork-helper.js';
import { tempDir } from '../store/helpers.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';
import { PUSH_ERRORS, runStep } from './push-steps.js';

/**
 * writeRecords and recordObservations under kill -9: a writer pushing and observing is killed at some step, again and
 * again, and restarted from the last step it reported (so the step in flight, committed or not, runs again). Each
 * time, the destination holds exactly what the steps committed imply — the same rows and intervals as an unkilled
 * run of as many steps in a fresh SQLite file — never half a step (JSONL: its state names whole lines only).
 */
const CHILD = new URL('./children/push-loop.ts', import.meta.url);

type Kind = 'sqlite' | 'jsonl' | 'postgres';
const KINDS: Kind[] = ['sqlite', 'jsonl', ...(requireService('postgres') ? (['postgres'] as const) : [])];

function place(kind: Kind): { url: string; cleanup: () => Promise<void> } {
  if (kind === 'postgres') {
    const schema = uniqueSchema('snag_push_kill');
    return { url: pgDestinationUrl(schema), cleanup: () => dropSchema(schema) };
  }
  const t = tempDir();
  return { url: `${kind}:${join(t.dir, kind === 'sqlite' ? 'dest.db' : 'dest')}`, cleanup: async () => t.cleanup() };
}

interface Snapshot {
  errors: unknown[];
  history: unknown[];
}

async function snapshot(dest: Destination): Promise<Snapshot> {
  const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());
  const errors = (await dest.listRecords('errors'))
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_'))))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const history = (await dest.listRecords('error_history'))
    .map((r) => [
      r.error_id,
      r.status,
      r.assigned_collaborator_id ?? null,
      iso(r.valid_from),
      iso(r.valid_to),
      r.observed_by,
    ])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[3]).localeCompare(String(b[3])));
  return { errors, history };
}

/** What `steps` steps leave, run without a kill in a fresh SQLite file. */
async function reference(steps: number): Promise<Snapshot> {
  const t = tempDir();
  const dest = await openDestination(`sqlite:${join(t.dir, 'reference.db')}`);
  try {
    await dest.prepare([descriptorOf(getStream('errors'))]);
    for (let s = 0; s < steps; s++) await runStep(dest, s);
    return await snapshot(dest);
  } finally {
    await dest.close();
    t.cleanup();
  }
}

async function stored(url: string): Promise<Snapshot> {
  const dest = await openDestination(url);
  try {
    await dest.prepare([descriptorOf(getStream('errors'))]);
    return await snapshot(dest);
  } finally {
    await dest.close();
  }
}

describe.each(KINDS)('pushes and observations in a %s destination under kill -9', (kind) => {
  it('hold exactly what the committed steps imply across kills and replays', async () => {
    const { url, cleanup } = place(kind);
    try {
      let from = 0;
      for (let round = 0; round < 3; round++) {
        const child = forkTs(CHILD, [url, String(from), '1000000']);
        const target = from + 3 + round * 2;
        await child.waitFor((m) => m.type === 'committed' && (m.step as number) >= target);
        child.proc.kill('SIGKILL');
        expect((await child.exited).signal).toBe('SIGKILL');
        const reported = Math.max(
          ...child.messages.map((m) => (m as { type: string; step?: number }).step ?? 0).filter(Number.isFinite),
        );
        const now = await stored(url);
        // The step in flight when the kill came was committed whole or not at all.
        const candidates = [await reference(reported), await reference(reported + 1)];
        expect(candidates).toContainEqual(now);
        expect(now.history.length).toBeGreaterThan(PUSH_ERRORS);
        from = reported;
      }
      const child = forkTs(CHILD, [url, String(from), String(from + 4)]);
      await child.waitFor((m) => m.type === 'done');
      expect((await child.exited).code).toBe(0);
      expect(await stored(url)).toEqual(await reference(from + 4));
    } finally {
      await cleanup();
    }
  }, 60_000);
});
