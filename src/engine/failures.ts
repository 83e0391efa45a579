import { SnagError, toSnagError, type ErrorCode } from '../core/errors.js';
import type { Credential } from '../store/models.js';
import type { ErrorJson } from './events.js';

/**
 * What a failure while reading one (stream, partition) means for the run:
 *  - skip: this stream cannot be read here (org-admin only, not on the plan, the project is gone) — a warning;
 *  - fail: this stream failed here (server errors past the retry budget, an unexpected answer) — the others go on;
 *  - fatal: nothing else can succeed either (token refused, rate limited past the budget, network down, the
 *    destination unwritable, cancelled) — the run stops, everything committed so far stays.
 */
export type Disposition = 'skip' | 'fail' | 'fatal';

const SKIP: readonly ErrorCode[] = ['forbidden', 'plan_feature', 'not_found'];
const FAIL: readonly ErrorCode[] = ['server_error', 'validation', 'not_bugsnag', 'result_too_large', 'internal'];

export function disposition(err: SnagError): Disposition {
  if (SKIP.includes(err.code)) return 'skip';
  if (FAIL.includes(err.code)) return 'fail';
  return 'fatal';
}

/**
 * A 401 for a credential that was verified before is a token that stopped working (revoked, expired, user removed):
 * say so, and how to fix it without losing progress.
 */
export function explainAuthFailure(err: SnagError, credential: Credential): SnagError {
  if (err.code !== 'auth_invalid') return err;
  const worked = credential.verified_status === 'VERIFIED' || credential.verified_at !== null;
  const fix = `Update it with \`snagsync credentials update ${credential.name} --token-stdin\` (a new Personal Auth Token), then sync again: the sync resumes where it stopped.`;
  const serverFix = `Give "${credential.name}" a new Personal Auth Token ("Replace token" on its tile in the web UI, or PUT /api/data_credentials/${credential.id}), then sync again: the sync resumes where it stopped.`;
  if (!worked)
    return new SnagError('auth_invalid', err.message, {
      hint: `${err.hint ?? ''} ${fix}`.trim(),
      serverHint: `${err.serverHint ?? err.hint ?? ''} ${serverFix}`.trim(),
      status: 401,
      details: err.details,
      cause: err,
    });
  return new SnagError(
    'auth_revoked',
    `Bugsnag now refuses the token of credential "${credential.name}" (…${credential.token_last4}), which worked before: it was revoked or expired, or its user was removed.`,
    {
      hint: `Everything synced so far is kept. ${fix}`,
      serverHint: `Everything synced so far is kept. ${serverFix}`,
      status: 401,
      details: err.details,
      cause: err,
    },
  );
}

/** Bugsnag refused the token itself (401) — not a role, a plan or a project: the credential is what is wrong. */
export function isTokenRejected(err: SnagError): boolean {
  return err.status === 401 && (err.code === 'auth_invalid' || err.code === 'auth_revoked');
}

/** A run stopped on request (Ctrl-C, `cancel()`, the server stopping). */
export function cancelledError(): SnagError {
  return new SnagError(
    'aborted',
    'The sync was cancelled; everything committed so far is kept and the next sync resumes from there.',
  );
}

/**
 * A failure as runs store it and progress events carry it. `server_hint` keeps the advice of the HTTP API and the web
 * UI next to the CLI's `hint`, so that a run read back later still speaks each face's language.
 */
export function errorJson(err: unknown): ErrorJson {
  const e = toSnagError(err);
  return {
    ...(e.toJSON() as unknown as ErrorJson),
    ...(e.serverHint && e.serverHint !== e.hint ? { server_hint: e.serverHint } : {}),
  };
}
