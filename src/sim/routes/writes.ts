import { fail, json, noContent, ReplyError } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { list as listParam, scalar } from '../query/params.js';
import { errorWindowStats, eventRange } from '../data/counting.js';
import { COMMENTS_PER_ERROR, commentsOf, type CommentRecord } from '../data/comments.js';
import type { ProjectData, ReopenRules } from '../data/project.js';
import { compileFilters } from '../query/filters.js';
import { commentAuthor } from '../views/account.js';
import { errorView } from '../views/errors.js';
import { isoMs, isoSecMs } from '../format.js';
import { filterEnv, keysetPage, list, perPage, requireError, requireProject, sortOf, type Ctx } from './context.js';

const OPERATIONS = [
  'override_severity',
  'assign',
  'create_issue',
  'link_issue',
  'unlink_issue',
  'open',
  'snooze',
  'fix',
  'ignore',
  'delete',
  'discard',
  'undiscard',
] as const;
type Operation = (typeof OPERATIONS)[number];

/** Operations the simulator reserves to project owners, so the documented 403 / code 40000 can be exercised. */
const OWNER_ONLY = new Set<Operation>(['delete', 'discard', 'undiscard']);

/** Error workflow writes (single and bulk PATCH, DELETE) and comments. */
export function writeRoutes(r: Router<Ctx>): void {
  r.add('PATCH', '/projects/{project_id}/errors/{error_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const e = requireError(ctx, pd, p.error_id);
    const op = operationOf(ctx, pd);
    applyTracked(ctx, pd, e, op);
    if (op === 'delete' || op === 'discard') return noContent();
    return json(currentView(ctx, pd, e));
  });

  r.add('PATCH', '/projects/{project_id}/errors', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    // `error_ids[]=a&error_ids[]=b`; the Ruby gem sends a single id unbracketed (`error_ids=a`), which also works.
    const ids = listParam(ctx.query, 'error_ids', true);
    if (!ids || ids.length === 0) fail(400, "error_ids can't be blank");
    const errors = ids.map((id) => requireError(ctx, pd, id));
    const op = operationOf(ctx, pd);
    const out: Record<string, unknown> = { operation: op };
    for (const e of errors) {
      applyTracked(ctx, pd, e, op);
      const st = pd.peekState(e);
      const entry: Record<string, unknown> = {
        assigned_collaborator_id: st.assignee >= 0 ? pd.world.users[st.assignee]!.id : null,
        created_issue: st.createdIssue ?? {},
        reopen_rules: st.reopenRules,
        status: st.status,
      };
      if (op === 'assign') entry.assigned_team_id = st.team >= 0 ? pd.world.teams[st.team]!.id : null;
      if (op === 'discard' || op === 'undiscard') entry.discarded = st.discarded;
      if (op === 'link_issue' || op === 'unlink_issue' || op === 'create_issue') entry.linked_issues = st.linkedIssues;
      out[pd.errorSeed(e).id] = op === 'delete' ? {} : entry;
    }
    return json(out);
  });

  r.add('DELETE', '/projects/{project_id}/errors/{error_id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const e = requireError(ctx, pd, p.error_id);
    requireOwner(ctx, pd);
    ctx.sim.truth.change(pd, e, ctx.nowMs, 'deleted', () => pd.markDeleted(e));
    return noContent();
  });

  r.add('GET', '/projects/{project_id}/errors/{error_id}/comments', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const e = requireError(ctx, pd, p.error_id);
    sortOf(ctx, ['created_at']); // comments sort by creation time only ([RUBY], [OAS26])
    const asc = scalar(ctx.query, 'direction') === 'asc';
    const comments = commentsOf(pd, e).sort(
      (a, b) => (asc ? 1 : -1) * (a.createdMs - b.createdMs) || a.index - b.index,
    );
    const views = comments.map((c) => commentView(ctx, c, 'collaborator') as { id: string });
    const { page, next } = keysetPage(ctx, views, perPage(ctx, 30, 100));
    return list(page, { total: views.length, next });
  });

  r.add('POST', '/projects/{project_id}/errors/{error_id}/comments', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    const e = requireError(ctx, pd, p.error_id);
    const message = bodyField(ctx, 'message');
    if (typeof message !== 'string' || message.trim() === '') fail(400, "Message can't be blank");
    const st = pd.state(e);
    const index = pd.errorSeed(e).commentCount + st.addedComments.length;
    if (index >= COMMENTS_PER_ERROR) fail(400, 'Too many comments on this error');
    st.addedComments.push({ index, message, user: ctx.token.user, createdMs: Math.floor(ctx.nowMs / 1000) * 1000 });
    pd.touch();
    ctx.sim.emit({ kind: 'comment', gi: pd.project.gi, error: e, comment: index, user: ctx.token.user });
    const created = commentsOf(pd, e).find((c) => c.index === index)!;
    return {
      status: 201,
      body: commentView(ctx, created, 'collaborator'),
      headers: { Location: `${ctx.origin}/comments/${created.id}` },
    };
  });

  // [OAS26]: DELETE /comments/{id} answers 204 (docs/bugsnag-api.md); a comment deleted is gone from every answer.
  r.add('DELETE', '/comments/{comment_id}', (ctx, p) => {
    const d = ctx.sim.world.ids.decodeAs('comment', p.comment_id ?? '');
    if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Comment not found');
    const pd = ctx.sim.project(d.parent);
    const e = Math.floor(d.index / COMMENTS_PER_ERROR);
    if (e >= pd.errorCount || pd.isDeleted(e)) fail(404, 'Comment not found');
    const c = commentsOf(pd, e).find((x) => x.id === p.comment_id);
    if (!c) fail(404, 'Comment not found');
    pd.state(e).deletedComments.push(c.index);
    pd.touch();
    return noContent();
  });

  r.add('GET', '/comments/{comment_id}', (ctx, p) => {
    const d = ctx.sim.world.ids.decodeAs('comment', p.comment_id ?? '');
    if (!d || !ctx.sim.world.canSeeProject(ctx.token, d.parent)) fail(404, 'Comment not found');
    const pd = ctx.sim.project(d.parent);
    const e = Math.floor(d.index / COMMENTS_PER_ERROR);
    if (e >= pd.errorCount || pd.isDeleted(e)) fail(404, 'Comment not found');
    const c = commentsOf(pd, e).find((x) => x.id === p.comment_id);
    if (!c) fail(404, 'Comment not found');
    // The single-comment answer names the author `user` (with a url), not `collaborator` (2017 recording).
    return json(commentView(ctx, c, 'user'));
  });
}

function commentView(ctx: Ctx, c: CommentRecord, authorKey: 'collaborator' | 'user'): Record<string, unknown> {
  const u = ctx.sim.world.users[c.user]!;
  const author =
    authorKey === 'user'
      ? {
          id: u.id,
          email: u.email,
          name: u.name,
          url: `${ctx.origin}/users/${u.id}`,
          projects_url: `${ctx.origin}/users/${u.id}/projects`,
        }
      : commentAuthor(ctx.sim, ctx.origin, c.user);
  return {
    id: c.id,
    message: c.message,
    created_at: isoSecMs(Math.floor(c.createdMs / 1000)),
    [authorKey]: author,
    url: `${ctx.origin}/comments/${c.id}`,
  };
}

function bodyField(ctx: Ctx, key: string): unknown {
  const b = ctx.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>)[key] : undefined;
}

function operationOf(ctx: Ctx, pd: ProjectData): Operation {
  const op = bodyField(ctx, 'operation');
  if (typeof op !== 'string' || !(OPERATIONS as readonly string[]).includes(op))
    fail(400, 'Operation is not included in the list');
  if (OWNER_ONLY.has(op as Operation)) requireOwner(ctx, pd);
  return op as Operation;
}

function requireOwner(ctx: Ctx, pd: ProjectData): void {
  const m = pd.world.membership(pd.project.org, ctx.token.user);
  const owner = m?.admin || m?.roles.get(pd.project.gi) === 'project_owner';
  if (!owner)
    throw new ReplyError({
      status: 403,
      body: { code: 40000, errors: ['Insufficient Project Role for performing requested action'] },
    });
}

/** `apply`, with what it changes of the fields error_history tracks recorded in the simulator's truth. */
function applyTracked(ctx: Ctx, pd: ProjectData, e: number, op: Operation): void {
  ctx.sim.truth.change(pd, e, ctx.nowMs, op === 'delete' ? 'deleted' : 'patch', () => apply(ctx, pd, e, op));
}

function apply(ctx: Ctx, pd: ProjectData, e: number, op: Operation): void {
  const st = pd.state(e);
  const seed = pd.errorSeed(e);
  const before = st.status;
  switch (op) {
    case 'override_severity': {
      const sev = bodyField(ctx, 'severity');
      if (sev !== 'info' && sev !== 'warning' && sev !== 'error') fail(400, 'Severity is not included in the list');
      st.overriddenSeverity = sev === seed.severity ? null : sev;
      break;
    }
    case 'assign': {
      const collab = bodyField(ctx, 'assigned_collaborator_id');
      const team = bodyField(ctx, 'assigned_team_id');
      st.assignee = -1;
      st.team = -1;
      if (typeof collab === 'string' && collab) {
        const m = pd.world.projectMembers(pd.project.gi).find((x) => pd.world.users[x.user]!.id === collab);
        if (!m) fail(404, 'User not found');
        st.assignee = m.user;
      } else if (typeof team === 'string' && team) {
        const t = pd.world.teams.findIndex((x) => x.id === team && x.org === pd.project.org);
        if (t < 0) fail(404, 'Team not found');
        st.team = t;
      }
      break;
    }
    case 'create_issue':
      st.createdIssue = pd.issueFor(e, 'jira');
      break;
    case 'link_issue': {
      const url = bodyField(ctx, 'issue_url');
      if (typeof url !== 'string' || url === '') fail(400, "Issue url can't be blank");
      const n = st.linkedIssues.length + 1;
      st.linkedIssues = [
        ...st.linkedIssues,
        { id: `link-${n}`, key: url.split('/').pop() ?? `ISSUE-${n}`, number: n, type: 'other', url },
      ];
      break;
    }
    case 'unlink_issue':
      st.linkedIssues = [];
      st.createdIssue = null;
      break;
    case 'open':
      st.status = 'open';
      st.reopenRules = null;
      break;
    case 'snooze':
      st.reopenRules = reopenRules(ctx, pd, e);
      st.status = 'snoozed';
      break;
    case 'fix':
      st.status = 'fixed';
      st.reopenRules = null;
      break;
    case 'ignore':
      st.status = 'ignored';
      st.reopenRules = null;
      break;
    case 'discard':
      st.discarded = true;
      break;
    case 'undiscard':
      st.discarded = false;
      break;
    case 'delete':
      pd.markDeleted(e);
      break;
  }
  pd.touch();
  // A collaborator changed the state by hand: what Bugsnag's errorStateManualChange webhook reports.
  if (st.status !== before)
    ctx.sim.emit({ kind: 'status', gi: pd.project.gi, error: e, from: before, to: st.status, user: ctx.token.user });
}

function reopenRules(ctx: Ctx, pd: ProjectData, e: number): ReopenRules {
  const raw = bodyField(ctx, 'reopen_rules');
  if (!raw || typeof raw !== 'object') fail(400, "Reopen rules can't be blank");
  const rr = raw as Record<string, unknown>;
  const num = (k: string) => {
    const v = rr[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      fail(400, `Reopen rules ${k} must be a positive integer`);
    return v;
  };
  switch (rr.reopen_if) {
    case 'occurs_after': {
      const seconds = num('seconds');
      return { reopen_if: 'occurs_after', seconds, reopen_after: isoMs(ctx.nowMs + seconds * 1000) };
    }
    case 'n_occurrences_in_m_hours':
      return { reopen_if: 'n_occurrences_in_m_hours', occurrences: num('occurrences'), hours: num('hours') };
    case 'n_additional_occurrences': {
      const extra = num('additional_occurrences');
      return {
        reopen_if: 'n_additional_occurrences',
        additional_occurrences: extra,
        occurrence_threshold: pd.totalOccurrences(e) + extra,
      };
    }
    case 'n_additional_users':
      return { reopen_if: 'n_additional_users', additional_users: num('additional_users') };
    default:
      fail(400, 'Reopen rules reopen_if is not included in the list');
  }
}

function currentView(ctx: Ctx, pd: ProjectData, e: number): Record<string, unknown> {
  const f = compileFilters(undefined, filterEnv(ctx, pd.project.org));
  const [lo, hi] = eventRange(pd, f, ctx.sim.defaultBaseSec(ctx.nowMs));
  return errorView(pd, ctx.origin, e, errorWindowStats(pd, e, f, lo, hi));
}
