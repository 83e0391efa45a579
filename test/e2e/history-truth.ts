import { expect } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import type { ErrorTruth, TruthInterval } from '../../src/sim/index.js';

/**
 * error_history against the simulator's truth (`sim.errorHistory`), up to observation granularity. Changes happen
 * only between syncs ("rounds": from the first attempt's start to the end of the run that completed it), so each
 * round sees every error in the state it had when the round began; the expected history is that sequence of states
 * with repeats merged (a state undone between two rounds was never seen). Each expected interval must begin no
 * earlier than the change that caused it and no later than the round that observed it — except an error's first
 * state seen open, which begins at its first event.
 */
export interface Round {
  from: string;
  to: string;
}

export interface HistoryRow {
  project_id: string;
  error_id: string;
  status: string | null;
  severity: string | null;
  assigned_collaborator_id: string | null;
  assigned_team_id: string | null;
  valid_from: string;
  valid_to: string | null;
}

const iso = (v: unknown): string => new Date(v as string).toISOString();

/** The destination's error_history (JSONL: the last line of each interval), ordered by error then valid_from. */
export async function historyRows(url: string): Promise<HistoryRow[]> {
  const dest = await openDestination(url);
  try {
    const latest = new Map<string, HistoryRow>();
    for (const r of await dest.listRecords('error_history')) {
      const row: HistoryRow = {
        project_id: r.project_id as string,
        error_id: r.error_id as string,
        status: (r.status as string | null) ?? null,
        severity: (r.severity as string | null) ?? null,
        assigned_collaborator_id: (r.assigned_collaborator_id as string | null) ?? null,
        assigned_team_id: (r.assigned_team_id as string | null) ?? null,
        valid_from: iso(r.valid_from),
        valid_to: r.valid_to === null || r.valid_to === undefined ? null : iso(r.valid_to),
      };
      latest.set(`${row.project_id}|${row.error_id}|${row.valid_from}`, row);
    }
    return [...latest.values()].sort(
      (a, b) =>
        a.project_id.localeCompare(b.project_id) ||
        a.error_id.localeCompare(b.error_id) ||
        a.valid_from.localeCompare(b.valid_from),
    );
  } finally {
    await dest.close();
  }
}

const stateKey = (s: Pick<TruthInterval, 'status' | 'severity' | 'assigned_collaborator_id' | 'assigned_team_id'>) =>
  JSON.stringify([s.status, s.severity, s.assigned_collaborator_id, s.assigned_team_id]);

/** The truth's interval holding time `at`, or null (the error did not exist yet, or was deleted). */
function stateAt(t: ErrorTruth, at: string): TruthInterval | null {
  if (t.deleted_at !== null && at >= t.deleted_at) return null;
  return t.intervals.find((i) => i.valid_from <= at && (i.valid_to === null || at < i.valid_to)) ?? null;
}

export interface Expected {
  interval: TruthInterval;
  round: number;
}

/** The states each round saw, repeats merged: what error_history must hold for this error. */
export function expectedHistory(t: ErrorTruth, rounds: Round[]): Expected[] {
  const out: Expected[] = [];
  rounds.forEach((r, round) => {
    const iv = stateAt(t, r.from);
    if (!iv) return;
    const last = out[out.length - 1];
    if (last && stateKey(last.interval) === stateKey(iv)) return;
    out.push({ interval: iv, round });
  });
  return out;
}

/**
 * Compares every error's intervals with the truth; returns how many intervals were compared (so a caller can check
 * the scenario produced the changes it meant to).
 */
export function expectHistoryMatchesTruth(rows: HistoryRow[], truths: ErrorTruth[], rounds: Round[]): number {
  let compared = 0;
  const known = new Set(truths.map((t) => `${t.project_id}|${t.error_id}`));
  expect(
    rows.filter((r) => !known.has(`${r.project_id}|${r.error_id}`)),
    'rows of errors the simulator does not have',
  ).toEqual([]);
  for (const t of truths) {
    const mine = rows.filter((r) => r.project_id === t.project_id && r.error_id === t.error_id);
    const want = expectedHistory(t, rounds);
    const label = `${t.project_id}/${t.error_id}`;
    expect(
      mine.map((r) => stateKey(r as unknown as TruthInterval)),
      `${label}: states, in order (truth: ${JSON.stringify(t.intervals)})`,
    ).toEqual(want.map((w) => stateKey(w.interval)));
    want.forEach((w, k) => {
      const row = mine[k]!;
      const r = rounds[w.round]!;
      if (k === 0 && w.interval.status === 'open' && w.interval.cause === 'initial') {
        // Seen open first: open since its first event, exactly.
        expect(row.valid_from, `${label}: first open state`).toBe(w.interval.valid_from);
      } else {
        // Not before the change; at the latest by the end of the round that saw it (a write-back or a webhook may
        // record it earlier than the round, never before it happened).
        const lower = w.interval.valid_from;
        expect(
          row.valid_from >= lower && row.valid_from <= r.to,
          `${label} #${k}: valid_from ${row.valid_from} within ${lower} … ${r.to} (changed ${w.interval.valid_from}, seen by round ${w.round})`,
        ).toBe(true);
      }
      const next = mine[k + 1];
      if (next) expect(row.valid_to, `${label} #${k}: contiguous`).toBe(next.valid_from);
      // The last state stays open: a deletion is not an observed state (deletions are marked in the errors table).
      else expect(row.valid_to, `${label}: one open interval, the last`).toBeNull();
    });
    compared += want.length;
  }
  return compared;
}
