import { isSnagError, type SnagError, toSnagError, type ErrorCode } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { validationError } from './validation.js';
import { webAdvice } from './runs/advice.js';

/**
 * How failures leave the server. A SnagError keeps its code, message and hint (the same texts as the CLI) and gets
 * the HTTP status that fits it; field problems come as `fields` (field → message) and `hints` (field → hint) so a
 * form or a script can place each one. Only a bug in snagsync is a 500.
 */

export interface FieldProblem {
  message: string;
  hint?: string;
}

export interface ApiErrorBody {
  error: string;
  message: string;
  hint?: string;
  /** The field the error is about (the first one when several are wrong). */
  field?: string;
  /** Every field problem: field → message. */
  fields?: Record<string, string>;
  /** field → what to do. */
  hints?: Record<string, string>;
  status: number;
  exit_code?: number;
  details?: Record<string, unknown>;
}

/** Verification failures: the host answered about the input, or could not be used — the input is what to fix. */
const UNPROCESSABLE: ReadonlySet<ErrorCode> = new Set([
  'auth_invalid',
  'auth_project_key',
  'auth_revoked',
  'forbidden',
  'plan_feature',
  'not_bugsnag',
  'tls',
  'network',
  'not_found',
  'validation',
  'result_too_large',
]);

export function httpStatusOf(err: SnagError): number {
  switch (err.code) {
    case 'config':
    case 'usage':
      return 400;
    case 'missing':
      return 404;
    case 'conflict':
      return 409;
    case 'rate_limited':
      return 429;
    case 'server_error':
      return 502;
    case 'vault':
      // The server's own setup (master key) is wrong: not the request's fault, and not a bug either.
      return 503;
    case 'aborted':
      return 503;
    case 'internal':
    case 'destination':
      return 500;
    default:
      if (!UNPROCESSABLE.has(err.code)) return 500;
      // Unreachable or TLS failures on a host the request named are the input's problem; otherwise the upstream's.
      if ((err.code === 'network' || err.code === 'tls') && err.details.field === undefined) return 502;
      return 422;
  }
}

/** What the API and the web UI advise: the error's server advice when it has one (its hint names a CLI command). */
export function serverHintOf(err: SnagError): string | undefined {
  return webAdvice(err.serverHint ?? err.hint);
}

/** The field problems a SnagError carries: `details.fields` (input errors) or `details.field` (a verification failure). */
export function fieldProblems(err: SnagError): Record<string, FieldProblem> {
  const out: Record<string, FieldProblem> = {};
  const fields = err.details.fields;
  if (fields && typeof fields === 'object' && !Array.isArray(fields)) {
    for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
      if (v && typeof v === 'object' && typeof (v as FieldProblem).message === 'string') {
        const p = v as FieldProblem;
        const hint = typeof p.hint === 'string' ? webAdvice(p.hint) : undefined;
        out[k] = hint ? { message: p.message, hint } : { message: p.message };
      }
    }
  }
  const field = err.details.field;
  const hint = serverHintOf(err);
  if (typeof field === 'string' && !out[field])
    out[field] = hint ? { message: err.message, hint } : { message: err.message };
  return out;
}

export function apiErrorBody(err: SnagError, status = httpStatusOf(err)): ApiErrorBody {
  const problems = fieldProblems(err);
  const { field, fields: _fields, ...rest } = err.details;
  const names = Object.keys(problems);
  const body: ApiErrorBody = {
    error: err.code,
    message: err.message,
    ...(serverHintOf(err) ? { hint: serverHintOf(err) } : {}),
    ...(typeof field === 'string' ? { field } : names[0] ? { field: names[0] } : {}),
    status,
    exit_code: err.exitCode,
  };
  if (names.length) {
    body.fields = Object.fromEntries(names.map((n) => [n, problems[n]!.message]));
    const hints = names.filter((n) => problems[n]!.hint).map((n) => [n, problems[n]!.hint!] as const);
    if (hints.length) body.hints = Object.fromEntries(hints);
  }
  if (Object.keys(rest).length) body.details = rest;
  return body;
}

/** A problem with the HTTP request itself (not a SnagError): bad JSON, wrong content type, too large, unauthenticated. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** `body` when the request body as a whole is what is wrong (not JSON, empty, too large, an unsafe key). */
    readonly field?: string,
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return {
      error: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.field ? { field: this.field } : {}),
      status: this.status,
    };
  }
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
  message?: string;
  validation?: unknown;
}

/** Any thrown value → the status and body to send. Framework 4xx errors (body parsing) keep their status. */
export function toErrorResponse(
  err: unknown,
  url = '',
): { status: number; body: ApiErrorBody; snag: SnagError | null } {
  if (err instanceof HttpProblem) return { status: err.status, body: err.toBody(), snag: null };
  // A route schema refused the request: every problem, each on its field.
  const invalid = validationError(err, (err as { validationContext?: string } | null)?.validationContext);
  if (invalid) return { status: 400, body: apiErrorBody(invalid, 400), snag: invalid };
  if (isSnagError(err)) {
    const status = httpStatusOf(err);
    return { status, body: apiErrorBody(err, status), snag: err };
  }
  const fe = err as FrameworkError;
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const problem = frameworkProblem(fe, url);
    return { status: problem.status, body: problem.toBody(), snag: null };
  }
  const snag = toSnagError(err);
  return { status: 500, body: apiErrorBody(snag, 500), snag };
}

/**
 * A static hint, shaped so that the redaction patterns (which hide `"auth_token": "…"` pairs wherever text is
 * redacted) leave it whole: the placeholder is not a quoted value.
 */
export const JSON_BODY_HINT =
  'Send a JSON object, for example {"name": "Production", "credentials": {"auth_token": <a Personal Auth Token>}}.';

/** A body that parses as JSON but carries a prototype-poisoning key (refused by the JSON parser). */
export function unsafeJsonProblem(): HttpProblem {
  return new HttpProblem(
    400,
    'invalid_request',
    'The request body is valid JSON but has a "__proto__" or "constructor.prototype" key, which is refused for safety.',
    'Remove that key: no field of the API has that name.',
    'body',
  );
}

/** Fastify's own answer to a malformed request (Node's parser refused it before any route): the API's envelope instead. */
export function clientErrorProblem(code: string | undefined): HttpProblem {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new HttpProblem(
      431,
      'headers_too_large',
      'The request line or headers are too large (the limit is 16 KiB).',
      'Shorten the URL or the headers: no API URL needs more than a few hundred characters.',
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpProblem(408, 'request_timeout', 'The request took too long to arrive.', 'Send it again.');
  }
  return new HttpProblem(400, 'invalid_request', 'The request is not valid HTTP.', 'Send a well-formed HTTP request.');
}

/** What a body too large should have been, by the API area it was sent to. */
function tooLargeHint(url: string): string {
  if (url.startsWith('/api/data_credentials'))
    return 'Credential fields are short: a name of at most 100 characters, a description of at most 1,000.';
  if (url.startsWith('/api/data_sources'))
    return 'A source is small: a name of at most 100 characters, a description of at most 1,000, and a source_config of lists and options (the limit is 64 KiB).';
  if (url.startsWith('/api/data_sinks'))
    return "An uploaded file's content may be up to 4 MiB; for more rows, read them from a synced table (input type table).";
  return 'Send a smaller body: the limit is 64 KiB.';
}

function frameworkProblem(fe: FrameworkError, url: string): HttpProblem {
  const status = fe.statusCode ?? 400;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(
        415,
        'unsupported_media_type',
        'This content type is not accepted.',
        'Send JSON with Content-Type: application/json (or a form from the web UI).',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(413, 'payload_too_large', 'The request body is too large.', tooLargeHint(url), 'body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(
        400,
        'invalid_request',
        'The request body is empty, but its Content-Type says JSON.',
        'Send a JSON object, or leave the Content-Type header out.',
        'body',
      );
    default:
      if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.message ?? '').includes('JSON')) {
        return new HttpProblem(400, 'invalid_request', 'The request body is not valid JSON.', JSON_BODY_HINT, 'body');
      }
      return new HttpProblem(status, 'invalid_request', redact(fe.message ?? 'The request is not valid.'));
  }
}
