import { createBugsnagClient } from '../bugsnag/client.js';
import { normalizeHost } from '../bugsnag/hosts.js';
import { SnagError, toSnagError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { toIso } from '../core/time.js';
import type { Clock } from '../http/clock.js';
import { RateLimiter } from '../http/rate-limiter.js';
import type { Transport } from '../http/transport.js';
import type { CredentialOrganization, RateLimitSeen } from '../store/models.js';
import { bugsnagCredentialType, type BugsnagFailure } from './bugsnag-type.js';
import type { FailureContext } from './credential-type.js';
import { looksLikeProjectApiKey } from './input.js';

/**
 * Verification: the type's verify call (`GET /user/organizations`) made through the client, and every failure turned
 * into the type's message for it. Fast on purpose: a user is waiting, so a short timeout, one retry for network
 * failures and 5xx, and a 429 is reported at once with its Retry-After instead of being waited out.
 */

export interface VerifyOptions {
  /** Defaults to built-in fetch. */
  transport?: Transport;
  /** Per attempt; default from the type (15 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Defaults to the process logger; `false` for none. */
  logger?: Logger | false;
  clock?: Clock;
  /** The rate-limit window the verification's limiter counts in (default: Bugsnag's minute); recorded with the limit. */
  rateWindowMs?: number;
}

export interface VerifyContext {
  /** The credential was VERIFIED before: a 401 now means the token was revoked, not mistyped. */
  previouslyVerified?: boolean;
  /** The stored credential's name, for hints on replacing its token. */
  credentialName?: string;
}

export interface Verification {
  host: string;
  organizations: CredentialOrganization[];
  rate_limit: RateLimitSeen | null;
  latency_ms: number;
  checked_at: string;
}

/** Cap on organization pages read while verifying (100 per page): a token reaching more is very unusual. */
const MAX_ORG_PAGES = 5;

export async function verifyBugsnagToken(
  token: string,
  host: string,
  context: VerifyContext = {},
  options: VerifyOptions = {},
): Promise<Verification> {
  const spec = bugsnagCredentialType.verify;
  const started = performance.now();
  try {
    const limiter = new RateLimiter({
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.rateWindowMs !== undefined ? { windowMs: options.rateWindowMs } : {}),
    });
    const client = createBugsnagClient({
      token,
      host,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      timeoutMs: options.timeoutMs ?? spec.timeoutMs,
      retry: {
        retries: spec.retries,
        baseDelayMs: spec.backoffMs,
        maxDelayMs: spec.backoffMs * 2,
        rateLimitRetries: 0,
      },
      // Its own limiter: a verification must not queue behind a sync's budget wait on the same token. One request
      // past an exhausted budget costs a 429, which is reported to the user straight away.
      rateLimiter: limiter,
    });
    const organizations: CredentialOrganization[] = [];
    let pages = 0;
    for await (const page of client.organizations.list().pages()) {
      for (const o of page.items)
        organizations.push({ id: o.id, name: o.name ?? o.slug ?? o.id, slug: o.slug ?? null });
      if (++pages >= MAX_ORG_PAGES) break;
    }
    const stats = client.stats();
    const checkedAt = toIso(Date.now());
    const seen = stats.rateLimitLimit !== undefined || stats.rateLimitRemaining !== undefined;
    return {
      host: client.baseUrl,
      organizations,
      rate_limit: seen
        ? {
            limit: stats.rateLimitLimit ?? null,
            remaining: stats.rateLimitRemaining ?? null,
            seen_at: checkedAt,
            window_ms: limiter.window,
          }
        : null,
      latency_ms: Math.round(performance.now() - started),
      checked_at: checkedAt,
    };
  } catch (err) {
    throw verifyError(err, token, host, context);
  }
}

/** Maps whatever verification threw to the type's failure for it (other errors pass through unchanged). */
export function verifyError(err: unknown, token: string, host: string, context: VerifyContext = {}): SnagError {
  const e = toSnagError(err);
  const failure = classify(e, token, context);
  if (!failure) return e;
  const spec = bugsnagCredentialType.failures[failure];
  const d = e.details;
  const ctx: FailureContext = { host: baseUrlOf(host) };
  if (e.status !== undefined) ctx.status = e.status;
  const said = Array.isArray(d.bugsnagErrors) ? d.bugsnagErrors.filter((t) => typeof t === 'string').join('; ') : '';
  if (said) ctx.said = said;
  const reason = reasonOf(e);
  if (reason) ctx.reason = reason;
  if (typeof d.retryAfterSeconds === 'number') ctx.retryAfterSeconds = d.retryAfterSeconds;
  const got = gotOf(e);
  if (got) ctx.got = got;
  if (context.credentialName) ctx.credential = context.credentialName;
  return new SnagError(spec.code, spec.message(ctx), {
    hint: spec.hint(ctx),
    ...(spec.hint({ ...ctx, face: 'server' }) !== spec.hint(ctx)
      ? { serverHint: spec.hint({ ...ctx, face: 'server' }) }
      : {}),
    ...(e.status !== undefined ? { status: e.status } : {}),
    details: {
      ...pick(d, [
        'status',
        'host',
        'path',
        'attempts',
        'bugsnagErrors',
        'bugsnagCode',
        'retryAfterSeconds',
        'errorCode',
        'bodyKind',
        'unrouted',
      ]),
      failure,
      ...(spec.field ? { field: spec.field } : {}),
    },
    cause: e,
  });
}

function classify(e: SnagError, token: string, context: VerifyContext): BugsnagFailure | null {
  const d = e.details;
  switch (e.code) {
    case 'auth_invalid':
    case 'auth_revoked':
    case 'auth_project_key':
      if (context.previouslyVerified) return 'revoked';
      return looksLikeProjectApiKey(token) ? 'project_key' : 'invalid';
    case 'not_found': {
      const texts = Array.isArray(d.bugsnagErrors) ? d.bugsnagErrors.join(' ') : '';
      if (!d.unrouted && /user not found/i.test(texts)) return 'not_user_token';
      // The API always serves /user/organizations: any other 404 there comes from something else.
      return 'not_bugsnag';
    }
    case 'forbidden':
    case 'plan_feature':
      return 'forbidden';
    case 'network':
      if (d.errorCode === 'ENOTFOUND' || d.errorCode === 'EAI_AGAIN') return 'dns';
      if (d.errorCode === 'TIMEOUT' || d.errorCode === 'ETIMEDOUT' || d.errorCode === 'UND_ERR_CONNECT_TIMEOUT')
        return 'timeout';
      return 'unreachable';
    case 'tls':
      return 'tls';
    case 'not_bugsnag':
      return 'not_bugsnag';
    case 'rate_limited':
      return 'rate_limited';
    case 'server_error':
      return 'server_error';
    case 'validation':
      // A 4xx the API never gives for this call: whatever answered is not the Data Access API.
      return 'not_bugsnag';
    default:
      return null;
  }
}

/** The transport's short reason ("connection refused"), taken from the pipeline's message "Could not reach X: why." */
function reasonOf(e: SnagError): string | undefined {
  if (e.code !== 'network' && e.code !== 'tls') return undefined;
  const m = /: ([^:]+?)\.?$/.exec(e.message);
  return m?.[1];
}

function gotOf(e: SnagError): string | undefined {
  const d = e.details;
  if (typeof d.location === 'string') return `it redirected to ${d.location}`;
  if (d.unrouted) return 'it answered "404 Not Found" for a path the API always serves';
  if (e.code === 'not_found' || e.code === 'validation')
    return `it answered ${e.status ?? 'an error'} for a path the API always serves`;
  switch (d.bodyKind) {
    case 'html':
      return 'it sent an HTML page';
    case 'text':
      return 'it sent plain text';
    case 'empty':
      return 'it sent an empty answer';
    case 'invalid-json':
      return 'it sent a body that is not valid JSON';
    case 'json':
      return 'it sent JSON that is not a list of organizations';
    default:
      return undefined;
  }
}

/** The base URL as the user will recognise it (an on-premise path prefix included); the input if it cannot be read. */
function baseUrlOf(host: string): string {
  try {
    return normalizeHost(host).baseUrl;
  } catch {
    return host;
  }
}

function pick(d: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (d[k] !== undefined) out[k] = d[k];
  return out;
}
