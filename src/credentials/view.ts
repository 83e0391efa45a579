import type { SnagError } from '../core/errors.js';
import type { Credential, CredentialOrganization, RateLimitSeen, VerifiedStatus } from '../store/models.js';
import type { CredentialFieldName } from './credential-type.js';
import type { Verification } from './verify.js';

/**
 * What any face may show of a credential: everything but the secret. Built field by field (never by spreading the
 * stored row), so a column added to the store later cannot leak the envelope into a listing or an API answer.
 */
export interface CredentialView {
  id: string;
  name: string;
  description: string | null;
  connector: 'bugsnag';
  host: string;
  token_last4: string;
  verified_status: VerifiedStatus;
  verified_at: string | null;
  verify_error: VerifyErrorView | null;
  organizations: CredentialOrganization[];
  rate_limit: RateLimitSeen | null;
  sources_count: number;
  created_at: string;
  updated_at: string;
}

/** Why the last check failed, as recorded (the same code, text and field the check reported). */
export interface VerifyErrorView {
  error: string;
  message: string;
  hint?: string;
  /** The API's and the web UI's advice when `hint` names a CLI command (see SnagError.serverHint). */
  server_hint?: string;
  field?: CredentialFieldName;
  exit_code?: number;
}

/** The recorded failure as the API and the web UI show it: their own advice in `hint`. */
export function serverVerifyError(v: VerifyErrorView | null): VerifyErrorView | null {
  if (v === null) return null;
  const { server_hint, ...rest } = v;
  return server_hint ? { ...rest, hint: server_hint } : rest;
}

export function toView(c: Credential, sourcesCount: number): CredentialView {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    connector: c.connector,
    host: c.host,
    token_last4: c.token_last4,
    verified_status: c.verified_status,
    verified_at: c.verified_at,
    verify_error: parseVerifyError(c.verify_error),
    organizations: c.organizations.map((o) => ({ id: o.id, name: o.name, slug: o.slug })),
    rate_limit: c.rate_limit
      ? {
          limit: c.rate_limit.limit,
          remaining: c.rate_limit.remaining,
          seen_at: c.rate_limit.seen_at,
          ...(c.rate_limit.window_ms !== undefined ? { window_ms: c.rate_limit.window_ms } : {}),
        }
      : null,
    sources_count: sourcesCount,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/** The store keeps the failure as JSON text in `verify_error`; a plain text (older rows, hand edits) is kept as the message. */
export function serializeVerifyError(err: SnagError): string {
  const field = err.details.field;
  const v: VerifyErrorView = {
    error: err.code,
    message: err.message,
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.serverHint ? { server_hint: err.serverHint } : {}),
    ...(typeof field === 'string' ? { field: field as CredentialFieldName } : {}),
    exit_code: err.exitCode,
  };
  return JSON.stringify(v);
}

export function parseVerifyError(text: string | null): VerifyErrorView | null {
  if (text === null || text === '') return null;
  try {
    const v = JSON.parse(text) as Partial<VerifyErrorView>;
    if (v && typeof v.error === 'string' && typeof v.message === 'string') return v as VerifyErrorView;
  } catch {
    // not JSON: fall through
  }
  return { error: 'unknown', message: text };
}

/**
 * A passed test as every face answers it (`credentials test --json`, the API's probe): the check's figures, then the
 * credential in the face's own shape (the CLI's view, the API's `data_credentials` resource).
 */
export function passedTestJson<C extends { verified_status: VerifiedStatus }>(
  verification: Verification,
  credential: C,
) {
  return {
    ok: true as const,
    verified_status: credential.verified_status,
    checked_at: verification.checked_at,
    latency_ms: verification.latency_ms,
    organizations: verification.organizations,
    rate_limit: verification.rate_limit,
    credential,
  };
}
