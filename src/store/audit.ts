/**
 * The audit log: one entry per change made through `serve`, per refused attempt, and per use of a Bugsnag credential
 * by a person. Append-only (the stores refuse UPDATE and DELETE on it). An entry names fields, never their values.
 */

export interface AuditEntryInput {
  at: string;
  /** A user's email, or `server key` (the key itself, or a browser session it opened). */
  actor: string;
  actor_kind: 'key' | 'session' | 'token';
  method: string;
  /** The route as declared (`/api/data_sources/:id`), not the URL: no query string, nothing a caller typed. */
  route: string;
  resource_id: string | null;
  /** The names of the fields sent (the request body's keys), never their values. */
  fields: string[];
  status: number;
  outcome: 'ok' | 'refused' | 'failed';
  /** The permission missing, for a refusal. */
  permission: string | null;
  /**
   * What used a Bugsnag credential (`credential`), or changed something (`change`), or was refused (`refused`), or
   * signed in (`sign-in`: a success, a failure or a lockout on the public sign-in routes).
   */
  kind: 'change' | 'refused' | 'credential' | 'sign-in';
  address: string | null;
}

export interface AuditEntry extends AuditEntryInput {
  /** Increasing: the page cursor. */
  id: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  next_before: number | null;
}

/** Which entries to list; every filter given must match. */
export interface AuditQuery {
  limit: number;
  /** Only entries older than this id (the page cursor). */
  before?: number;
  actor?: string;
  /** A resource id (exact), or a part of the route (`data_sources`, `tokens`). */
  resource?: string;
  /** The HTTP method: POST, PUT, DELETE, GET. */
  method?: string;
  outcome?: AuditEntry['outcome'];
  /** ISO 8601 times: `at >= since`, `at < until`. */
  since?: string;
  until?: string;
}

export interface AuditRepository {
  append(e: AuditEntryInput): Promise<void>;
  /** Newest first. */
  list(q: AuditQuery): Promise<AuditPage>;
}
