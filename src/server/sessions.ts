import { createHash, randomBytes } from 'node:crypto';

/**
 * Browser sessions, kept server-side in memory: the cookie holds only a random id (32 bytes), the map is keyed by its
 * SHA-256 (so a heap dump or a debug print of the map does not hand out live cookies). A session ends after an idle
 * period, after an absolute lifetime, at logout, or when the server restarts (users log in again with the key).
 * Each session carries its CSRF token and the one-shot flash messages of the post/redirect/get pattern.
 */

export interface Flash {
  kind: 'success' | 'error' | 'info';
  text: string;
}

export interface Session {
  /** Handle for logs; never the cookie value. */
  readonly handle: string;
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
  flash: Flash[];
}

export interface SessionOptions {
  /** Ends a session nobody used for this long. Default 12 h. */
  idleMs?: number;
  /** Ends every session this long after login, used or not. Default 7 days. */
  absoluteMs?: number;
  /** Oldest sessions are dropped past this many (only key holders can create sessions; this bounds memory). */
  max?: number;
  now?: () => number;
}

export const SESSION_COOKIE = 'snagsync_session';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  readonly idleMs: number;
  readonly absoluteMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? 12 * 3600_000;
    this.absoluteMs = options.absoluteMs ?? 7 * 24 * 3600_000;
    this.max = options.max ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** A new session; returns the cookie value (the only place it exists). */
  create(): { id: string; session: Session } {
    this.sweep();
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = {
      handle: randomBytes(6).toString('hex'),
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: t,
      lastSeenAt: t,
      flash: [],
    };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, touched; null when unknown or expired (an expired one is dropped). */
  get(id: string | undefined): Session | null {
    if (!id || id.length > 100) return null;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastSeenAt > this.idleMs || t - s.createdAt > this.absoluteMs) {
      this.sessions.delete(key);
      return null;
    }
    s.lastSeenAt = t;
    return s;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Seconds the cookie may live: the absolute lifetime (the idle limit is enforced here, server-side). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.absoluteMs / 1000);
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) {
      if (t - s.lastSeenAt > this.idleMs || t - s.createdAt > this.absoluteMs) this.sessions.delete(k);
    }
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function pushFlash(session: Session | null | undefined, kind: Flash['kind'], text: string): void {
  if (session) session.flash.push({ kind, text });
}

export function takeFlash(session: Session | null | undefined): Flash[] {
  if (!session) return [];
  const out = session.flash;
  session.flash = [];
  return out;
}
