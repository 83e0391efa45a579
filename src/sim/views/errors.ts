import { hash } from '../prng.js';
import { isoMs, isoSecMs } from '../format.js';
import type { ErrorWindowStats } from '../data/counting.js';
import type { ProjectData } from '../data/project.js';

/**
 * An error group. `events`, `users`, `first_seen` and `last_seen` are computed within the request's filters and base;
 * the `*_unfiltered` fields and `unthrottled_occurrence_count` are absolute (docs/bugsnag-api.md §5, §17).
 */
export function errorView(
  pd: ProjectData,
  origin: string,
  e: number,
  win: ErrorWindowStats | null,
): Record<string, unknown> {
  const seed = pd.errorSeed(e);
  const st = pd.peekState(e);
  const total = pd.totalOccurrences(e);
  const firstUnf = total > 0 ? pd.timeOf(pd.occurrenceIndex(e, 0)) : seed.createdSec;
  const lastUnf = total > 0 ? pd.timeOf(pd.occurrenceIndex(e, total - 1)) : seed.createdSec;
  const pid = pd.project.id;
  const issues = st.createdIssue ? [...st.linkedIssues, st.createdIssue] : st.linkedIssues;
  return {
    id: seed.id,
    project_id: pid,
    error_class: seed.errorClass,
    message: seed.message,
    context: seed.context,
    severity: st.overriddenSeverity ?? seed.severity,
    original_severity: seed.severity,
    overridden_severity: st.overriddenSeverity,
    events: win?.events ?? 0,
    unthrottled_occurrence_count: total,
    users: win?.users ?? 0,
    first_seen: isoSecMs(win?.firstSec ?? firstUnf),
    last_seen: isoSecMs(win?.lastSec ?? lastUnf),
    first_seen_unfiltered: isoSecMs(firstUnf),
    // The recordings show milliseconds here only: the unfiltered value comes from a different store than events.
    last_seen_unfiltered: isoMs(lastUnf * 1000 + (hash(pd.seed, e, total) % 1000)),
    status: st.status,
    created_issue: st.createdIssue ?? {},
    reopen_rules: st.reopenRules,
    assigned_collaborator_id: st.assignee >= 0 ? pd.world.users[st.assignee]!.id : null,
    assigned_team_id: st.team >= 0 ? pd.world.teams[st.team]!.id : null,
    comment_count: seed.commentCount + st.addedComments.length - st.deletedComments.length,
    missing_dsyms:
      pd.project.kind.type === 'ios' && seed.index % 5 === 0
        ? [`${pd.ids.encode('error', pd.project.gi, e).slice(0, 8).toUpperCase()}-0000-4000-8000-000000000000`]
        : [],
    release_stages: seed.stages,
    grouping_reason: seed.groupingReason,
    grouping_fields:
      seed.groupingReason === 'context-inner'
        ? { context: seed.context, errorClass: seed.errorClass }
        : seed.groupingReason === 'frame-code'
          ? { file: seed.file, method: seed.method, lineNumber: seed.line, errorClass: seed.errorClass }
          : { file: seed.file, lineNumber: seed.line, errorClass: seed.errorClass },
    url: `${origin}/projects/${pid}/errors/${seed.id}`,
    project_url: `${origin}/projects/${pid}`,
    events_url: `${origin}/projects/${pid}/errors/${seed.id}/events`,
    linked_issues: issues,
    discarded: st.discarded,
  };
}
