/**
 * The team: people who use one snagsync (their role) and the API tokens they hold. Tokens are kept as the sha256 of
 * the token only — the token itself is printed once at creation and never stored — and so are invitation secrets.
 */

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  /** Lowercased: one person, one row, however they type it. */
  email: string;
  role: Role;
  /** The first user made: the owner, whose rights the server key also carries. */
  owner: boolean;
  created_at: string;
}

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The team's rows as stored (hashes only), for `snagsync store migrate`. Sessions and lockouts are not copied. */
export interface TeamContents {
  users: Array<{
    id: string;
    email: string;
    role: Role;
    owner: boolean;
    invitation_sha256: string | null;
    invitation_expires_at: number | null;
    password_hash: string | null;
    created_at: string;
  }>;
  tokens: Array<{
    id: string;
    user_id: string;
    scope: TokenScope;
    token_sha256: string;
    created_at: string;
    expires_at: string | null;
    revoked_at: string | null;
  }>;
}

/** How long an invitation can be redeemed. */
export const INVITATION_LIFETIME_MS = 7 * 24 * 3600_000;

export interface ApiToken {
  id: string;
  user_id: string;
  scope: TokenScope;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface UserRepository {
  /**
   * Throws SnagError('conflict') when the email is taken. The first user made becomes the owner. The invitation
   * expires at `invitation_expires_at` (ms; default 7 days from now).
   */
  add(u: { email: string; role: Role; invitation_sha256: string; invitation_expires_at?: number }): Promise<User>;
  list(): Promise<User[]>;
  /** By id or email; unknown → SnagError('missing'). */
  find(ref: string): Promise<User>;
  get(id: string): Promise<User | null>;
  /** Refuses (SnagError 'conflict') to demote the last admin. */
  setRole(id: string, role: Role): Promise<User>;
  /** Refuses (SnagError 'conflict') to remove the last admin. Their tokens go with them. */
  remove(id: string): Promise<void>;
  createToken(t: {
    user_id: string;
    scope: TokenScope;
    token_sha256: string;
    expires_at: string | null;
  }): Promise<ApiToken>;
  listTokens(userId?: string): Promise<ApiToken[]>;
  /** The token with this hash, whatever its state (the caller judges expiry and revocation). */
  tokenByHash(sha256: string): Promise<ApiToken | null>;
  /** Marks it revoked (once); false when no such token. */
  revokeToken(id: string, at: string): Promise<boolean>;

  // Sign-in (src/store/team/sign-in.ts holds the rules; these only keep the rows).

  /** Sets (or replaces) a user's password hash; unknown user → SnagError('missing'). */
  setPassword(userId: string, passwordHash: string): Promise<void>;
  /** The user with this email and their password hash (null when none is set); null when no such user. */
  credentialsOf(email: string): Promise<{ user: User; password_hash: string | null } | null>;
  /**
   * Redeems an invitation once: sets the password and forgets the invitation, in one statement, when the invitation
   * is known and unexpired at `now`. Null otherwise (unknown, used, expired — the caller cannot tell which).
   */
  redeemInvitation(sha256: string, passwordHash: string, now: number): Promise<User | null>;
  /** The user an unexpired invitation belongs to (to show its email), or null. */
  invitationHolder(sha256: string, now: number): Promise<User | null>;

  createSession(s: NewSessionRow): Promise<void>;
  /** The session with this cookie hash, with its user's current row (null for a server-key session). */
  sessionByHash(sha256: string): Promise<{ session: SessionRow; user: User | null } | null>;
  touchSession(sha256: string, at: number): Promise<void>;
  setSessionFlash(sha256: string, flash: string): Promise<void>;
  deleteSession(sha256: string): Promise<void>;
  /** Ends every session of the user (null: every server-key session); returns how many there were. */
  deleteUserSessions(userId: string | null): Promise<number>;
  /** Removes sessions idle since before `idleBefore` or past their absolute end at `now`. */
  deleteExpiredSessions(now: number, idleBefore: number): Promise<void>;

  /** The failure record of an email (lowercased), or null. */
  lockoutOf(email: string): Promise<LockoutRow | null>;
  /** Counts one failure atomically; `lockUntil(failures)` says how long the account then waits (null: no wait). */
  recordSignInFailure(email: string, now: number, lockUntil: (failures: number) => number | null): Promise<LockoutRow>;
  clearSignInFailures(email: string): Promise<void>;
}

export interface NewSessionRow {
  id_sha256: string;
  handle: string;
  /** Null: a server-key session (the owner's rights). */
  user_id: string | null;
  /** How it was opened: `key`, `password`, `invitation`, `oidc`. */
  via: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface SessionRow extends NewSessionRow {
  last_seen_at: number;
  /** JSON array of flash messages. */
  flash: string;
}

export interface LockoutRow {
  email: string;
  failures: number;
  locked_until: number | null;
  last_failure: number;
}
