import { redact } from './redact.js';

/**
 * Every error a user can see is a SnagError: a stable `code`, a message that says what happened, a `hint` that says
 * what to do, and an exit code derived from the code (the table below is the CLI contract, documented in the README).
 */
export const EXIT_CODES = {
  internal: 1, // a bug in snagsync
  usage: 2, // wrong command-line usage
  config: 3, // invalid input or configuration (bad host, malformed config, bad name…)
  missing: 4, // no such credential, source or run in the local store
  conflict: 5, // name already taken, credential still used by a source, …
  vault: 6, // master key missing or wrong, envelope unreadable
  destination: 7, // the destination could not be written
  auth_invalid: 10, // 401: token invalid, revoked or not a personal auth token
  forbidden: 11, // 403: role too low or org-admin-only
  plan_feature: 12, // 403: the account's plan lacks the feature
  not_found: 13, // 404: not found, or the token cannot see it
  validation: 14, // 400: Bugsnag rejected the request's parameters
  result_too_large: 15, // 422 code 60000: sorted result set too large
  rate_limited: 16, // 429 past the retry budget
  server_error: 17, // 5xx past the retry budget
  network: 18, // host unreachable, connection reset, timeout
  tls: 19, // TLS/certificate failure
  not_bugsnag: 20, // the host answered, but not like the Bugsnag Data Access API
  auth_project_key: 21, // 401 for a value that looks like a project notifier API key, not a personal auth token
  auth_revoked: 22, // 401 for a token that was verified before: revoked, expired, or its user removed
  aborted: 130, // interrupted (Ctrl-C / AbortSignal)
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export interface SnagErrorOptions {
  hint?: string;
  /**
   * The advice the HTTP API and the web UI give instead of \`hint\` when \`hint\` names a CLI command (each face
   * speaks its own language). Left out when \`hint\` suits every face.
   */
  serverHint?: string;
  cause?: unknown;
  /** HTTP status when the error came from an HTTP answer. */
  status?: number;
  /** Structured, non-secret facts (Bugsnag's error texts, field name, retry-after…). */
  details?: Record<string, unknown>;
}

export class SnagError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly serverHint: string | undefined;
  readonly status: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SnagErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: scrubCause(options.cause) });
    this.name = 'SnagError';
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redact(options.hint);
    this.serverHint = options.serverHint === undefined ? undefined : redact(options.serverHint);
    this.status = options.status;
    this.details = JSON.parse(redact(JSON.stringify(options.details ?? {}))) as Record<string, unknown>;
    if (this.stack) this.stack = redact(this.stack);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }

  /** The text shown to a user: what happened, then what to do. */
  describe(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
      exit_code: this.exitCode,
    };
  }
}

export function isSnagError(err: unknown, code?: ErrorCode): err is SnagError {
  return err instanceof SnagError && (code === undefined || err.code === code);
}

/** Wrap anything thrown into a SnagError (unknown failures become `internal`), with secrets removed. */
export function toSnagError(err: unknown): SnagError {
  if (err instanceof SnagError) return err;
  if (isAbortError(err)) return new SnagError('aborted', 'Interrupted.', { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new SnagError('internal', `Unexpected failure: ${message}`, {
    cause: err,
    hint: 'This is a bug in snagsync; please report it with the command you ran (never include your token).',
  });
}

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR' || err.name === 'TimeoutError')
  );
}

/** Causes are kept for debugging, but as plain redacted text so that no request object (with headers) is retained. */
function scrubCause(cause: unknown): Error {
  if (cause instanceof SnagError) return cause;
  const e = cause instanceof Error ? cause : new Error(String(cause));
  const plain = new Error(redact(e.message));
  plain.name = e.name;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') (plain as Error & { code?: string }).code = code;
  const inner = (e as { cause?: unknown }).cause;
  if (inner instanceof Error) (plain as Error & { cause?: unknown }).cause = scrubCause(inner);
  plain.stack = e.stack ? redact(e.stack) : plain.stack;
  return plain;
}
