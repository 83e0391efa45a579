/**
 * Errors pages whose states change from page to page, for the kill -9 test of error_history: error i's status
 * cycles open → fixed → ignored every i + 1 pages; `expectedHistory(n)` is what n committed pages must leave.
 */
export const ERROR_COUNT = 8;
const STATUSES = ['open', 'fixed', 'ignored'] as const;
export const FIRST_SEEN = '2026-01-01T00:00:00.000Z';

/** Page p's observation time (second s of its minute). */
export function pageTime(p: number, s = 0): string {
  return new Date(Date.UTC(2026, 5, 1) + p * 60_000 + s * 1000).toISOString();
}

function statusOf(p: number, i: number): string {
  return STATUSES[Math.floor(p / (i + 1)) % 3]!;
}

export function historyPage(p: number): Array<Record<string, unknown>> {
  return Array.from({ length: ERROR_COUNT }, (_, i) => ({
    project_id: 'p1',
    id: `e${i}`,
    status: statusOf(p, i),
    severity: 'error',
    first_seen_unfiltered: FIRST_SEEN,
  }));
}

export interface Interval {
  id: string;
  status: string;
  from: string;
  to: string | null;
}

export function expectedHistory(pages: number): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i < ERROR_COUNT; i++) {
    const mine: Interval[] = [];
    for (let p = 0; p < pages; p++) {
      const status = statusOf(p, i);
      const open = mine.at(-1);
      if (open?.status === status) continue;
      const from = open ? pageTime(p) : status === 'open' ? FIRST_SEEN : pageTime(p);
      if (open) open.to = from;
      mine.push({ id: `e${i}`, status, from, to: null });
    }
    out.push(...mine);
  }
  return out.sort((a, b) => a.id.localeCompare(b.id) || a.from.localeCompare(b.from));
}
