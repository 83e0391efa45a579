import { z } from 'zod';
import type { ErrorGroup } from '../bugsnag/models/error.js';
import type { ErrorUpdate } from '../bugsnag/models/error-update.js';

/**
 * Every write-back operation, declared once: the parameters a row must carry (zod, lenient about CSV strings), how
 * it becomes Bugsnag's PATCH body, and how to tell an error is already in the wanted state (so a plan can skip it and
 * a rerun never writes twice). `bulk: false` operations are sent one error at a time; `comment` has no PATCH body.
 */
export interface OperationDecl<P> {
  name: string;
  params: z.ZodType<P>;
  /** Bugsnag accepts the operation in `PATCH /projects/{p}/errors?error_ids[]=…`. */
  bulk: boolean;
  /** Asks for confirmation before applying (irreversible from the user's side, or hides data). */
  destructive: boolean;
  /** The PATCH body, with names (assignees, teams) already resolved to ids; null for comments. */
  update(params: P, resolved: ResolvedAssignee | null): ErrorUpdate | null;
  /** The error already reads as wanted. Comments are never "done" by state: plan.ts looks for them on the error. */
  done(error: ErrorGroup, params: P, resolved: ResolvedAssignee | null): boolean;
  /**
   * The attribute of the error it sets. Two rows of one input that set the same attribute of one error differently
   * (fix and ignore) conflict: the input is refused, since which one wins would depend on the order of requests.
   * Null for comments (several different comments on one error are fine).
   */
  sets: 'status' | 'discarded' | 'severity' | 'assignee' | 'linked_issue' | null;
  /** Rows of this operation with different parameters add up rather than conflict (several issue links). */
  additive?: true;
}

export interface ResolvedAssignee {
  kind: 'collaborator' | 'team';
  id: string;
}

const positive = z.coerce.number().int().positive();
const none = z.object({});

const status = (
  name: string,
  wanted: 'fixed' | 'open' | 'ignored',
  op: 'fix' | 'open' | 'ignore',
): OperationDecl<object> => ({
  name,
  params: none,
  bulk: true,
  destructive: false,
  update: () => ({ operation: op }),
  done: (e) => e.status === wanted,
  sets: 'status',
});

const SnoozeParams = z.discriminatedUnion('reopen_if', [
  z.object({ reopen_if: z.literal('n_additional_occurrences'), additional_occurrences: positive }),
  z.object({ reopen_if: z.literal('n_occurrences_in_m_hours'), occurrences: positive, hours: positive }),
  z.object({ reopen_if: z.literal('occurs_after'), seconds: positive }),
  z.object({ reopen_if: z.literal('n_additional_users'), additional_users: positive.max(100_000) }),
]);
type SnoozeParams = z.infer<typeof SnoozeParams>;

const AssignParams = z
  .object({ assignee: z.string().trim().min(1).optional(), team: z.string().trim().min(1).optional() })
  .refine((p) => Boolean(p.assignee) !== Boolean(p.team), {
    message: 'give assignee (a collaborator id, email or name) or team (a team id or name), exactly one',
    path: ['assignee'],
  });
export type AssignParams = z.infer<typeof AssignParams>;

function snoozeRules(p: SnoozeParams): Extract<ErrorUpdate, { operation: 'snooze' }>['reopen_rules'] {
  switch (p.reopen_if) {
    case 'n_additional_occurrences':
      return { reopen_if: p.reopen_if, additional_occurrences: p.additional_occurrences };
    case 'n_occurrences_in_m_hours':
      return { reopen_if: p.reopen_if, occurrences: p.occurrences, hours: p.hours };
    case 'occurs_after':
      return { reopen_if: p.reopen_if, seconds: p.seconds };
    case 'n_additional_users':
      return { reopen_if: p.reopen_if, additional_users: p.additional_users };
  }
}

function linkedUrls(e: ErrorGroup): string[] {
  const issues = Array.isArray(e.linked_issues) ? (e.linked_issues as Array<{ url?: unknown }>) : [];
  return issues.map((i) => (typeof i?.url === 'string' ? i.url : '')).filter(Boolean);
}

export const OPERATIONS = {
  fix: status('fix', 'fixed', 'fix'),
  open: status('open', 'open', 'open'),
  ignore: status('ignore', 'ignored', 'ignore'),
  snooze: {
    name: 'snooze',
    params: SnoozeParams,
    bulk: true,
    destructive: false,
    update: (p) => ({ operation: 'snooze', reopen_rules: snoozeRules(p) }),
    done: (e, p) => {
      if (e.status !== 'snoozed' || !e.reopen_rules) return false;
      const have = e.reopen_rules as Record<string, unknown>;
      return Object.entries(snoozeRules(p)).every(([k, v]) => have[k] === v);
    },
    sets: 'status',
  } satisfies OperationDecl<SnoozeParams>,
  discard: {
    name: 'discard',
    params: none,
    bulk: true,
    destructive: true,
    update: () => ({ operation: 'discard' }),
    done: (e) => e.discarded === true,
    sets: 'discarded',
  } satisfies OperationDecl<object>,
  undiscard: {
    name: 'undiscard',
    params: none,
    bulk: true,
    destructive: false,
    update: () => ({ operation: 'undiscard' }),
    done: (e) => e.discarded === false || e.discarded === null || e.discarded === undefined,
    sets: 'discarded',
  } satisfies OperationDecl<object>,
  override_severity: {
    name: 'override_severity',
    params: z.object({ severity: z.enum(['info', 'warning', 'error']) }),
    bulk: true,
    destructive: false,
    update: (p) => ({ operation: 'override_severity', severity: p.severity }),
    done: (e, p) => e.severity === p.severity,
    sets: 'severity',
  } satisfies OperationDecl<{ severity: 'info' | 'warning' | 'error' }>,
  assign: {
    name: 'assign',
    params: AssignParams,
    bulk: true,
    destructive: false,
    update: (_p, r) =>
      r!.kind === 'team'
        ? { operation: 'assign', assigned_team_id: r!.id }
        : { operation: 'assign', assigned_collaborator_id: r!.id },
    done: (e, _p, r) => (r!.kind === 'team' ? e.assigned_team_id === r!.id : e.assigned_collaborator_id === r!.id),
    sets: 'assignee',
  } satisfies OperationDecl<AssignParams>,
  link_issue: {
    name: 'link_issue',
    params: z.object({ issue_url: z.url() }),
    bulk: true,
    destructive: false,
    update: (p) => ({ operation: 'link_issue', issue_url: p.issue_url }),
    done: (e, p) => linkedUrls(e).includes(p.issue_url),
    sets: 'linked_issue',
    additive: true,
  } satisfies OperationDecl<{ issue_url: string }>,
  unlink_issue: {
    name: 'unlink_issue',
    params: none,
    bulk: true,
    destructive: false,
    update: () => ({ operation: 'unlink_issue' }),
    done: (e) => linkedUrls(e).length === 0,
    sets: 'linked_issue',
  } satisfies OperationDecl<object>,
  comment: {
    name: 'comment',
    params: z.object({ message: z.string().refine((s) => s.trim() !== '', 'a comment needs a message') }),
    bulk: false,
    destructive: false,
    update: () => null,
    done: () => false,
    sets: null,
  } satisfies OperationDecl<{ message: string }>,
} as const;

export type OperationName = keyof typeof OPERATIONS;
export const OPERATION_NAMES = Object.keys(OPERATIONS) as OperationName[];

export function operationOf(name: string): OperationDecl<unknown> | undefined {
  return Object.hasOwn(OPERATIONS, name) ? (OPERATIONS[name as OperationName] as OperationDecl<unknown>) : undefined;
}
