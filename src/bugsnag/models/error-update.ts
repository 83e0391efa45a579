import { z } from 'zod';

/**
 * The body of an error update (`PATCH /projects/{p}/errors/{e}` and the bulk form), validated before anything is
 * sent: writes are never retried, so a malformed one should fail here, not at Bugsnag. Strict objects: a misspelt
 * field is an error, not silently dropped.
 */
export const ReopenRulesSchema = z.discriminatedUnion('reopen_if', [
  z.strictObject({ reopen_if: z.literal('occurs_after'), seconds: z.number().int().positive() }),
  z.strictObject({
    reopen_if: z.literal('n_occurrences_in_m_hours'),
    occurrences: z.number().int().positive(),
    hours: z.number().int().positive(),
  }),
  z.strictObject({
    reopen_if: z.literal('n_additional_occurrences'),
    additional_occurrences: z.number().int().positive(),
  }),
  z.strictObject({
    reopen_if: z.literal('n_additional_users'),
    additional_users: z.number().int().positive().max(100_000),
  }),
]);
export type ReopenRules = z.infer<typeof ReopenRulesSchema>;

const simple = (op: 'unlink_issue' | 'open' | 'fix' | 'ignore' | 'delete' | 'discard' | 'undiscard') =>
  z.strictObject({ operation: z.literal(op) });

export const ErrorUpdateSchema = z.discriminatedUnion('operation', [
  z.strictObject({ operation: z.literal('override_severity'), severity: z.enum(['info', 'warning', 'error']) }),
  z
    .strictObject({
      operation: z.literal('assign'),
      /** Blank/null unassigns. Mutually exclusive with assigned_team_id. */
      assigned_collaborator_id: z.string().nullable().optional(),
      assigned_team_id: z.string().nullable().optional(),
    })
    .refine((v) => !(v.assigned_collaborator_id && v.assigned_team_id), {
      message: 'give assigned_collaborator_id or assigned_team_id, not both',
    }),
  z.strictObject({
    operation: z.literal('create_issue'),
    issue_title: z.string().min(1).optional(),
    notification_id: z.string().min(1).optional(),
  }),
  z.strictObject({
    operation: z.literal('link_issue'),
    issue_url: z.url(),
    verify_issue_url: z.boolean().optional(),
    notification_id: z.string().min(1).optional(),
  }),
  simple('unlink_issue'),
  simple('open'),
  z.strictObject({ operation: z.literal('snooze'), reopen_rules: ReopenRulesSchema }),
  simple('fix'),
  simple('ignore'),
  simple('delete'),
  simple('discard'),
  simple('undiscard'),
]);
export type ErrorUpdate = z.infer<typeof ErrorUpdateSchema>;
export type ErrorOperation = ErrorUpdate['operation'];
