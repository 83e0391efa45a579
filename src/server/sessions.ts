import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/repository.js';
import type { SessionRow, User } from '../store/users.js';

/**
 * Browser sessions, kept in the store (SQLite or PostgreSQL), so every `serve` on one store accepts every session
 * and a sign-out anywhere ends it everywhere. The cookie holds only a random id (32 bytes); the store keeps its
 * SHA-256, so a copy of the table hands out no live cookie. A session belongs to a user, or to nobody for one opened
 * with the server key (the owner's rights). It ends after an idle period, after an absolute lifetime, at logout, at
 * "sign out everywhere", or when its user is removed (the rows go with the user). The user's role is read from the
 * user's row on each request, never copied into the session, so a role change applies at once.
 *
 * Flash messages (the post/redirect/get pattern's one-shot notices) live in the session's row too: the redirect after
 * a form may land on another server of the cluster, and the notice must be there.
 */

export interface Flash {
  kind: 'success' | 'error' | 'info';
  text: string;
}

export interface Session {
  /** Handle for logs; never the cookie value. */
  readonly handle: string;
  /** The SHA-256 of the cookie value: the row's key. */
  readonly key: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** Null for a session opened with the server key. */
  readonly userId: string | null;
  /** How it was opened: key, password, invitation, oidc. */
  readonly via: string;
  flash: Flash[];
  /** The flash changed during this request and is written back before the answer. */
  flashChanged: boolean;
}

export interface SessionOptions {
  /** Ends a session nobody used for this long. Default 12 h. */
  idleMs?: number;
  /** Ends every session this long after login, used or not. Default 7 days. */
  absoluteMs?: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'snagsync_session';

export class SessionStore {
  readonly idleMs: number;
  readonly absoluteMs: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(
    private readonly store: () => Store,
    options: SessionOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 12 * 3600_000;
    this.absoluteMs = options.absoluteMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  /** A new session for a user (null: the server key); returns the cookie value (the only place it exists). */
  async create(userId: string | null, via: string): Promise<{ id: string; session: Session }> {
    const t = this.now();
    if (t - this.lastSweep > Math.min(this.idleMs, 600_000)) {
      this.lastSweep = t;
      await this.store().users.deleteExpiredSessions(t, t - this.idleMs);
    }
    const id = randomBytes(32).toString('base64url');
    const row = {
      id_sha256: digest(id),
      handle: randomBytes(6).toString('hex'),
      user_id: userId,
      via,
      csrf_token: randomBytes(32).toString('base64url'),
      created_at: t,
      expires_at: t + this.absoluteMs,
    };
    await this.store().users.createSession(row);
    return { id, session: toSession({ ...row, last_seen_at: t, flash: '[]' }) };
  }

  /**
   * The live session for a cookie value and its user's current row, touched; null when unknown, expired (an
   * expired one is removed) or its user is gone.
   */
  async get(id: string | undefined): Promise<{ session: Session; user: User | null } | null> {
    if (!id || id.length > 100) return null;
    const key = digest(id);
    const found = await this.store().users.sessionByHash(key);
    if (!found) return null;
    const s = found.session;
    const t = this.now();
    if (t - s.last_seen_at > this.idleMs || t >= s.expires_at) {
      await this.store().users.deleteSession(key);
      return null;
    }
    // Written at most every 1/20 of the idle limit: a page's burst of requests costs one write, not one each.
    if (t - s.last_seen_at >= this.idleMs / 20) {
      await this.store().users.touchSession(key, t);
      s.last_seen_at = t;
    }
    return { session: toSession(s), user: found.user };
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id && id.length <= 100) await this.store().users.deleteSession(digest(id));
  }

  /** Sign out everywhere: every session of this user, on every server of the store. Returns how many ended. */
  async destroyAllOf(userId: string | null): Promise<number> {
    return this.store().users.deleteUserSessions(userId);
  }

  /** Writes the flash back when this request changed it. */
  async saveFlash(session: Session): Promise<void> {
    if (!session.flashChanged) return;
    session.flashChanged = false;
    await this.store().users.setSessionFlash(session.key, JSON.stringify(session.flash));
  }

  /** Seconds the cookie may live: the absolute lifetime (the idle limit is enforced here, server-side). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.absoluteMs / 1000);
  }
}

function toSession(r: SessionRow): Session {
  return {
    handle: r.handle,
    key: r.id_sha256,
    csrfToken: r.csrf_token,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    userId: r.user_id,
    via: r.via,
    flash: parseFlash(r.flash),
    flashChanged: false,
  };
}

function parseFlash(text: string): Flash[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as Flash[]) : [];
  } catch {
    return [];
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function pushFlash(session: Session | null | undefined, kind: Flash['kind'], text: string): void {
  if (!session) return;
  session.flash.push({ kind, text });
  session.flashChanged = true;
}

export function takeFlash(session: Session | null | undefined): Flash[] {
  if (!session) return [];
  const out = session.flash;
  if (out.length > 0) session.flashChanged = true;
  session.flash = [];
  return out;
}
