import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import type { CredentialInput } from '../../credentials/service.js';
import type { CredentialView, VerifyErrorView } from '../../credentials/view.js';

/**
 * The `data_credentials` resource (after Nexla's): what the API returns for a credential, and how a request body
 * becomes the service's input. Secrets are write-only: a request carries the token in `credentials.auth_token`; a
 * response only ever shows `credentials_non_secure_data` (host and the token's last four characters).
 */

export interface DataCredential {
  id: string;
  name: string;
  description: string | null;
  credentials_type: 'bugsnag';
  connector: 'bugsnag';
  credentials_non_secure_data: { host: string; token_last4: string };
  verified_status: CredentialView['verified_status'];
  verified_at: string | null;
  verify_error: VerifyErrorView | null;
  organizations: CredentialView['organizations'];
  rate_limit: CredentialView['rate_limit'];
  sources_count: number;
  /** The sources that use it (what a delete would disable). */
  sources: Array<{ id: string; name: string; status: string }>;
  created_at: string;
  updated_at: string;
}

export function toDataCredential(v: CredentialView, sources: DataCredential['sources']): DataCredential {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    credentials_type: 'bugsnag',
    connector: v.connector,
    credentials_non_secure_data: { host: v.host, token_last4: v.token_last4 },
    verified_status: v.verified_status,
    verified_at: v.verified_at,
    verify_error: v.verify_error,
    organizations: v.organizations,
    rate_limit: v.rate_limit,
    sources_count: v.sources_count,
    sources,
    created_at: v.created_at,
    updated_at: v.updated_at,
  };
}

/** Fields a client may send back unchanged from a GET (ignored on PUT). */
const READ_ONLY = new Set([
  'id',
  'connector',
  'credentials_non_secure_data',
  'verified_status',
  'verified_at',
  'verify_error',
  'organizations',
  'rate_limit',
  'sources_count',
  'sources',
  'created_at',
  'updated_at',
  'notes',
]);
const WRITABLE = ['name', 'description', 'credentials', 'credentials_type', 'verify'];
const CREDENTIALS_KEYS = ['auth_token', 'host'];

export interface ParsedRequest {
  /** Values as given (the service validates them field by field, with the same messages as the CLI). */
  input: CredentialInput;
  verify: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Checks the envelope (an object; known keys; `credentials` an object; `verify` a boolean) and maps it to the
 * service's input: `credentials.auth_token` → token, `credentials.host` → host. Field values are not judged here.
 */
export function parseCredentialRequest(body: unknown, mode: 'create' | 'update'): ParsedRequest {
  if (isObject(body) && isObject(body.credentials) && typeof body.credentials.auth_token === 'string') {
    registerSecret(body.credentials.auth_token);
  }
  if (!isObject(body)) {
    throw new SnagError('config', 'The request body must be a JSON object.', {
      hint: 'e.g. {"name": "Bugsnag production", "credentials": {"auth_token": "…", "host": "https://api.bugsnag.com"}}',
    });
  }
  const problems: Record<string, { message: string; hint?: string }> = {};
  for (const k of Object.keys(body)) {
    if (WRITABLE.includes(k) || (mode === 'update' && READ_ONLY.has(k))) continue;
    problems[k] = { message: `Unknown field "${k}".`, hint: `A data credential takes ${WRITABLE.join(', ')}.` };
  }
  if (body.credentials_type !== undefined && body.credentials_type !== 'bugsnag') {
    problems.credentials_type = { message: 'credentials_type must be "bugsnag".', hint: 'snagsync stores Bugsnag credentials only.' };
  }
  if (body.verify !== undefined && typeof body.verify !== 'boolean') {
    problems.verify = { message: 'verify must be true or false.' };
  }
  const creds = body.credentials;
  if (creds !== undefined && creds !== null && !isObject(creds)) {
    problems.credentials = { message: 'credentials must be an object: {"auth_token": "…", "host": "…"}.' };
  } else if (isObject(creds)) {
    for (const k of Object.keys(creds)) {
      if (!CREDENTIALS_KEYS.includes(k)) problems[`credentials.${k}`] = { message: `Unknown field "credentials.${k}".`, hint: 'credentials takes auth_token and host.' };
    }
  }
  const names = Object.keys(problems);
  if (names.length) {
    const first = problems[names[0]!]!;
    throw new SnagError('config', first.message, { ...(first.hint ? { hint: first.hint } : {}), details: { field: names[0], fields: problems } });
  }
  const input: Record<string, unknown> = {};
  if (body.name !== undefined) input.name = body.name;
  if (body.description !== undefined) input.description = body.description;
  if (isObject(creds)) {
    if (creds.auth_token !== undefined) input.token = creds.auth_token;
    if (creds.host !== undefined) input.host = creds.host;
  }
  // The service checks each value's type and content (a number for a name is "Credential Name must be text.").
  return { input: input as CredentialInput, verify: body.verify !== false };
}
