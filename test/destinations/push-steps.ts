import type { Destination } from '../../src/destinations/index.js';

/**
 * A deterministic sequence of pushes and observations for the kill -9 test of writeRecords / recordObservations:
 * even steps push every error (a webhook: status cycling, last_seen moving on), odd steps record a write-back's change
 * of one error. Replaying a committed step changes nothing (newer rows and intervals are never moved back), so a
 * writer restarted from any earlier step ends where an unkilled one would.
 */
export const PUSH_ERRORS = 4;
const STATUSES = ['open', 'fixed', 'ignored'] as const;
export const SOURCE = 'src_push_kill';

export function stepTime(step: number): string {
  return new Date(Date.UTC(2026, 6, 1) + step * 60_000).toISOString();
}

export async function runStep(dest: Destination, step: number): Promise<void> {
  const at = stepTime(step);
  if (step % 2 === 0) {
    const records = Array.from({ length: PUSH_ERRORS }, (_, i) => ({
      project_id: 'p1',
      id: `e${i}`,
      status: STATUSES[Math.floor(step / (i + 2)) % 3],
      severity: 'error',
      first_seen_unfiltered: '2026-01-01T00:00:00.000Z',
      last_seen_unfiltered: at,
    }));
    await dest.writeRecords!('errors', records, {
      sourceId: SOURCE,
      observed: { at, by: 'webhook' },
      newerBy: 'last_seen_unfiltered',
    });
    return;
  }
  const i = step % PUSH_ERRORS;
  await dest.recordObservations!('errors', [
    {
      sourceId: SOURCE,
      key: { project_id: 'p1', id: `e${i}` },
      changes: { status: STATUSES[step % 3]!, assigned_collaborator_id: `c${step % 5}` },
      at,
      by: 'writeback',
    },
  ]);
}
