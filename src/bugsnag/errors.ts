import { SnagError } from '../core/errors.js';
import type { PipelineResponse } from '../http/pipeline.js';

/**
 * Maps every Bugsnag answer that is not a success to a SnagError with a stable code (docs/bugsnag-api.md §4). `details` always
 * holds the non-secret facts callers may need (the credentials feature reads `status` and `bugsnagErrors` to tell
 * "that looks like a project API key" apart):
 *   status, method, path, host, attempts, bugsnagErrors (Bugsnag's texts), bugsnagCode?, unrouted?,
 *   retryAfterSeconds?, feature?, location?
 */
export interface BugsnagErrorBody {
  /** Bugsnag's texts: `errors[]` of the usual envelope, or `error` of the unrouted-path one. */
  errors: string[];
  code?: number;
  /** `{"status":404,"error":"Not Found"}`: the path is not routed at all (often: feature not on this plan). */
  unrouted: boolean;
}

export function readErrorBody(res: PipelineResponse): BugsnagErrorBody {
  const body =
    res.bodyKind === 'json' && res.json && typeof res.json === 'object' ? (res.json as Record<string, unknown>) : {};
  const texts: string[] = [];
  const errs = body.errors;
  if (Array.isArray(errs)) for (const e of errs) texts.push(typeof e === 'string' ? e : JSON.stringify(e));
  else if (typeof errs === 'string') texts.push(errs);
  if (typeof body.error === 'string') texts.push(body.error);
  if (typeof body.message === 'string' && texts.length === 0) texts.push(body.message);
  const out: BugsnagErrorBody = {
    errors: texts,
    unrouted: typeof body.status === 'number' && typeof body.error === 'string' && !Array.isArray(errs),
  };
  const code = typeof body.code === 'number' ? body.code : typeof body.code === 'string' ? Number(body.code) : NaN;
  if (Number.isFinite(code)) out.code = code;
  return out;
}

function baseDetails(res: PipelineResponse, body?: BugsnagErrorBody): Record<string, unknown> {
  const url = new URL(res.url);
  const d: Record<string, unknown> = {
    status: res.status,
    method: res.method,
    path: url.pathname,
    host: url.origin,
    attempts: res.attempts,
  };
  if (body) {
    d.bugsnagErrors = body.errors;
    if (body.code !== undefined) d.bugsnagCode = body.code;
    if (body.unrouted) d.unrouted = true;
  }
  return d;
}

function said(body: BugsnagErrorBody): string {
  return body.errors.length ? body.errors.join('; ') : '';
}

const ADMIN = /organization administrator role required/i;
const FEATURE = /(?:account|organization) requires the (.+?) feature/i;
const PRIMARY_STAGE = /primary release stage/i;

export function responseError(res: PipelineResponse): SnagError {
  const { status } = res;
  const body = readErrorBody(res);
  const details = baseDetails(res, body);
  const text = said(body);
  const where = `${res.method} ${new URL(res.url).pathname}`;
  const isWrite = res.method !== 'GET';
  const opts = (hint: string, extra: Record<string, unknown> = {}) => ({
    hint,
    status,
    details: { ...details, ...extra },
  });

  if (status >= 300 && status < 400) {
    const location = res.headers.get('location');
    let to = 'another address';
    if (location) {
      try {
        const u = new URL(location, res.url);
        to = `${u.origin}${u.pathname}`;
      } catch {
        /* keep the generic wording */
      }
    }
    return new SnagError(
      'not_bugsnag',
      `${new URL(res.url).origin} redirected ${where} to ${to} instead of answering: that is not how the Bugsnag Data Access API behaves.`,
      opts(HOST_HINT, { location: to }),
    );
  }
  if (status === 401) {
    const foreign = foreignChallenge(res);
    if (foreign) {
      return new SnagError(
        'not_bugsnag',
        `${new URL(res.url).origin} answered ${where} with 401 and ${foreign}: that is not the Bugsnag Data Access API, which takes "Authorization: token …" and answers in JSON.`,
        opts(HOST_HINT),
      );
    }
    return new SnagError(
      'auth_invalid',
      `Bugsnag rejected the token (401${text ? `: ${text}` : ''}): it is invalid, revoked, or not a Personal Auth Token.`,
      opts(
        'Create a Personal Auth Token in the Bugsnag dashboard (Settings → My account → Personal auth tokens) on the ' +
          "same deployment as the API host, and use it here. A project's notifier API key is not a Personal Auth Token.",
      ),
    );
  }
  if (status === 403) {
    const feature = FEATURE.exec(text)?.[1];
    if (feature) {
      return new SnagError(
        'plan_feature',
        `Bugsnag refused ${where}: ${text} (403).`,
        opts(
          `The account's Bugsnag plan does not include the ${feature} feature. Leave this data out, or upgrade the plan.`,
          {
            feature,
          },
        ),
      );
    }
    if (ADMIN.test(text)) {
      return new SnagError(
        'forbidden',
        `Bugsnag refused ${where}: ${text} (403).`,
        opts(
          "Only organization administrators can read this. Use an administrator's token, or leave this stream out for this organization.",
        ),
      );
    }
    if (body.code === 40000) {
      return new SnagError(
        'forbidden',
        `Bugsnag refused ${where}: ${text || 'the project role is too low'} (403).`,
        opts(
          "The token's user needs a higher role on this project. Ask a project owner, or use the token of a user with that role.",
        ),
      );
    }
    if (body.code === 30000 || body.code === 31000 || body.code === 32000) {
      return new SnagError(
        'forbidden',
        `Bugsnag refused ${where}: ${text || 'the account is locked'} (403, code ${body.code}).`,
        opts(
          'The Bugsnag account is locked (lapsed payment, expired trial or no seat for this user). Sort it out in the Bugsnag dashboard.',
        ),
      );
    }
    return new SnagError(
      'forbidden',
      `Bugsnag refused ${where} (403${text ? `: ${text}` : ''}).`,
      opts("The token's user may lack the role this needs. Check the user's role in the Bugsnag dashboard."),
    );
  }
  if (status === 404) {
    if (res.bodyKind === 'html' || res.bodyKind === 'text') return notBugsnag(res, 'an answer');
    if (body.unrouted) {
      return new SnagError(
        'not_found',
        `Bugsnag does not serve ${where} (404 ${text || 'Not Found'}).`,
        opts(
          "This endpoint is not available on this host or API version; that often means the feature is not on the account's plan.",
        ),
      );
    }
    const userNotFound = /user not found/i.test(text) && /\/user\//.test(new URL(res.url).pathname);
    return new SnagError(
      'not_found',
      text ? `${text} (404, ${where}).` : `Not found (404, ${where}).`,
      opts(
        userNotFound
          ? "The request was not made with a user's token. Use a Personal Auth Token (Settings → My account → Personal auth tokens)."
          : PRIMARY_STAGE.test(text)
            ? "Set a primary release stage in the project's settings to get stability data."
            : "Check the id. Bugsnag also answers 404 (not 403) when the token's user cannot see the resource.",
      ),
    );
  }
  if (status === 422 && body.code === 60000) {
    return new SnagError(
      'result_too_large',
      `Bugsnag cannot return the complete result set for ${where} (422, code 60000${text ? `: ${text}` : ''}).`,
      opts(
        'Sorted lists stop after about 1000 rows. Narrow the time range (event.since / event.before), add filters, or page with sort=unsorted.',
      ),
    );
  }
  if (status === 429) {
    const retryAfter = res.headers.get('retry-after');
    const extra: Record<string, unknown> = {};
    if (retryAfter !== null && /^\d+(\.\d+)?$/.test(retryAfter.trim()))
      extra.retryAfterSeconds = Number(retryAfter.trim());
    const message = isWrite
      ? `Bugsnag's rate limit was exceeded (429) for ${where}; the write was not applied and was not retried automatically.`
      : `Bugsnag's rate limit was still exceeded after ${res.attempts} ${res.attempts === 1 ? 'attempt' : 'attempts'} (429, ${where}).`;
    return new SnagError(
      'rate_limited',
      message,
      opts(
        "The token's requests-per-minute budget is used up, perhaps by another tool using the same token. " +
          'Wait a minute and try again; snagsync already paces itself to the limit Bugsnag announces.',
        extra,
      ),
    );
  }
  if (status >= 500) {
    const message = isWrite
      ? `Bugsnag answered ${where} with a server error (${status}); the write was not retried automatically, as it may have been applied.`
      : `Bugsnag answered ${where} with a server error (${status}) after ${res.attempts} attempt${res.attempts === 1 ? '' : 's'}.`;
    return new SnagError(
      'server_error',
      message,
      opts(
        isWrite
          ? 'Check the error in Bugsnag before repeating the change. Incidents are listed on status.bugsnag.com.'
          : "This is on Bugsnag's side; try again later. Incidents are listed on status.bugsnag.com.",
      ),
    );
  }
  if (status === 414) {
    return new SnagError(
      'validation',
      `Bugsnag refused ${where}: the URL is too long (414).`,
      opts('Narrow the time range or use fewer filters, so that page links stay short.'),
    );
  }
  if (status >= 400) {
    return new SnagError(
      'validation',
      `Bugsnag rejected the request's parameters for ${where} (${status}${text ? `: ${text}` : ''}).`,
      opts(
        'Check the filters and options. Filter fields must be event field display ids of the project (see its event fields).',
      ),
    );
  }
  return new SnagError(
    'server_error',
    `Bugsnag answered ${where} with an unexpected status ${status}.`,
    opts('Try again later.'),
  );
}

/**
 * What in a 401 says another service answered (a snagsync server, a web app, a proxy): a challenge for another
 * scheme than Bugsnag's `token` (`Bearer`, `Basic`), a page instead of JSON, or another API's JSON error.
 * Undefined when it may be Bugsnag's (the v2 401 body is not confirmed: anything else counts as Bugsnag's).
 */
function foreignChallenge(res: PipelineResponse): string | undefined {
  const challenge = res.headers.get('www-authenticate')?.trim();
  const scheme = challenge?.split(/\s+/)[0];
  if (scheme && !/^token$/i.test(scheme)) return `a "${scheme}" challenge`;
  const type = res.headers.get('content-type') ?? '';
  if (/^\s*text\/html/i.test(type)) return 'an HTML page';
  // Bugsnag's envelopes are {"errors": […]} and, unrouted, {"status", "error"}; a `message` or `hint` beside no
  // `errors` is another API's error (a snagsync server answers {"error", "message", "hint", "status"}).
  const body = res.bodyKind === 'json' && res.json && typeof res.json === 'object' ? res.json : null;
  if (body && !('errors' in body) && ('message' in body || 'hint' in body)) return "another API's JSON error";
  return undefined;
}

const HOST_HINT =
  'Check the API host: it is https://api.bugsnag.com (or https://api.bugsnag.smartbear.com, or your on-premise API URL), ' +
  'not the dashboard address.';

/** A 2xx (or a 404) that is not Bugsnag API data: a wrong host, a proxy or login page. */
export function notBugsnag(res: PipelineResponse, what: string, problem?: string): SnagError {
  const where = `${res.method} ${new URL(res.url).pathname}`;
  const got =
    res.bodyKind === 'html'
      ? 'an HTML page'
      : res.bodyKind === 'empty'
        ? 'an empty body'
        : res.bodyKind === 'text'
          ? 'plain text'
          : res.bodyKind === 'invalid-json'
            ? 'a body that is not valid JSON'
            : `data that does not look like ${what}${problem ? ` (${problem})` : ''}`;
  return new SnagError(
    'not_bugsnag',
    `${new URL(res.url).origin} answered ${where} with ${got}, not Bugsnag API data.`,
    {
      hint: HOST_HINT,
      status: res.status,
      details: { ...baseDetails(res), bodyKind: res.bodyKind },
    },
  );
}

/** A JSON body cut off on every attempt: a transfer problem, not a wrong host. */
export function incompleteBody(res: PipelineResponse): SnagError {
  const where = `${res.method} ${new URL(res.url).pathname}`;
  return new SnagError(
    'server_error',
    `Bugsnag's answer to ${where} was cut off (incomplete JSON) on ${res.attempts} attempt${res.attempts === 1 ? '' : 's'}.`,
    {
      hint: 'Try again later; if it persists, check for a proxy that truncates large answers.',
      status: res.status,
      details: baseDetails(res),
    },
  );
}

export function isPrimaryStageMissing(err: SnagError): boolean {
  const texts = err.details.bugsnagErrors;
  return (
    err.code === 'not_found' &&
    Array.isArray(texts) &&
    texts.some((t) => typeof t === 'string' && PRIMARY_STAGE.test(t))
  );
}
