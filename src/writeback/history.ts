import { toSnagError } from '../core/errors.js';
import { displayDestinationUrl, openDestination } from '../destinations/index.js';
import type { Destination, Observation } from '../destinations/types.js';
import { selectStreams } from '../engine/config.js';
import { descriptorOf, findStream } from '../engine/index.js';
import { projectOutside } from '../engine/webhooks/apply.js';
import type { Store } from '../store/repository.js';
import type { Source } from '../store/models.js';
import type { PlannedGroup, WritebackPlan } from './plan.js';

/**
 * A write-back's changes into the error history of the destinations that sync those errors: the status, severity or
 * assignment it set, from the time Bugsnag accepted the PATCH, observed by `writeback` — so that history (and time to
 * fix) knows when the change happened rather than when the next full pass saw it. The next sync observing the same
 * state adds nothing. Recording is secondary to the write-back itself: a destination that cannot be opened or written
 * is reported and logged, never a failure of the apply.
 */

export interface WritebackHistoryReport {
  /** Intervals opened in error_history, over every destination. */
  intervals: number;
  /** Destinations the changes were recorded in. */
  destinations: number;
  /** Destinations the changes could not be recorded in, and why (their next sync brings the state, later dated). */
  failed: Array<{ source_id: string; destination: string; reason: string }>;
}

/** A row's change as Bugsnag applied it: which error, the tracked fields it set, and when. */
export interface AppliedChange {
  project_id: string;
  error_id: string;
  changes: Record<string, string | null>;
  at: string;
}

const STATUS: Readonly<Record<string, string>> = { fix: 'fixed', open: 'open', ignore: 'ignored', snooze: 'snoozed' };

/**
 * The tracked fields (the errors history's) an operation's PATCH sets, or null when it sets none of them. Assigning
 * to a collaborator clears the team and the other way round (an error has one assignee).
 */
export function historyChanges(
  g: Pick<PlannedGroup, 'operation' | 'params' | 'assignee'>,
): Record<string, string | null> | null {
  const status = STATUS[g.operation];
  if (status) return { status };
  if (g.operation === 'override_severity' && typeof g.params.severity === 'string')
    return { severity: g.params.severity };
  if (g.operation === 'assign' && g.assignee)
    return g.assignee.kind === 'team'
      ? { assigned_team_id: g.assignee.id, assigned_collaborator_id: null }
      : { assigned_collaborator_id: g.assignee.id, assigned_team_id: null };
  return null;
}

/** The applied rows' changes, from the plan and the time each row was applied (rows applied by an earlier attempt are not in `appliedAt`). */
export function appliedChanges(plan: WritebackPlan, appliedAt: ReadonlyMap<number, string>): AppliedChange[] {
  const out: AppliedChange[] = [];
  for (const g of plan.groups) {
    const changes = historyChanges(g);
    if (!changes) continue;
    for (const r of g.change) {
      const at = appliedAt.get(r.row);
      if (at) out.push({ project_id: r.project_id, error_id: r.error_id, changes, at });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export interface HistoryOptions {
  credentialId: string;
  /** Called with each destination that could not be written, in words (the CLI prints it on stderr). */
  onWarning?: (message: string) => void;
  /** Opens a source's destination (tests; default: openDestination). */
  open?: (source: Source) => Promise<Destination>;
}

/**
 * Records the changes in the destination of every source of the credential that syncs errors of their project, one
 * `recordObservations` call per destination.
 */
export async function recordWritebackHistory(
  store: Store,
  changes: readonly AppliedChange[],
  options: HistoryOptions,
): Promise<WritebackHistoryReport> {
  const report: WritebackHistoryReport = { intervals: 0, destinations: 0, failed: [] };
  if (changes.length === 0) return report;
  const sources = (await store.sources.list({ credentialId: options.credentialId })).filter((s) =>
    selectStreams(s.config).includes('errors'),
  );
  for (const source of sources) {
    const observations: Observation[] = changes
      .filter((c) => projectOutside(source, c.project_id, undefined) === null)
      .map((c) => ({
        sourceId: source.id,
        key: { project_id: c.project_id, id: c.error_id },
        changes: c.changes,
        at: c.at,
        by: 'writeback',
      }));
    if (observations.length === 0) continue;
    let dest: Destination | null = null;
    try {
      dest = await (options.open ?? ((s: Source) => openDestination(s.destination)))(source);
      if (typeof dest.recordObservations !== 'function') continue;
      await dest.prepare([descriptorOf(findStream('errors')!)]);
      report.intervals += await dest.recordObservations('errors', observations);
      report.destinations++;
    } catch (err) {
      const reason = toSnagError(err).message;
      const destination = displayDestinationUrl(source.destination);
      report.failed.push({ source_id: source.id, destination, reason });
      options.onWarning?.(
        `the write-back's changes were not recorded in the error history of ${destination} (source ${source.name}): ${reason}`,
      );
    } finally {
      await dest?.close().catch(() => undefined);
    }
  }
  return report;
}
