import { newId } from '../../core/ids.js';
import { emailTaken, isAdmin, lastAdmin, normalEmail, userMissing } from '../team-rules.js';
import {
  type ApiToken,
  INVITATION_LIFETIME_MS,
  type LockoutRow,
  type NewSessionRow,
  type Role,
  type SessionRow,
  type TokenScope,
  type User,
  type UserRepository,
} from '../users.js';
import { SqliteRepo } from './base.js';

const USER = 'id, email, role, owner, created_at';
const FORGET_FAILURES_MS = 24 * 3600_000;
const TOKEN = 'id, user_id, scope, created_at, expires_at, revoked_at';

type UserRow = Omit<User, 'owner'> & { owner: number };

const toUser = (r: UserRow): User => ({ ...r, owner: r.owner === 1 });

export class SqliteUsers extends SqliteRepo implements UserRepository {
  async add(u: {
    email: string;
    role: Role;
    invitation_sha256: string;
    invitation_expires_at?: number;
  }): Promise<User> {
    const email = normalEmail(u.email);
    const id = newId('usr');
    this.tx(() => {
      if (this.stmt('SELECT 1 FROM users WHERE email = ?').get(email)) throw emailTaken(email);
      const first = this.stmt('SELECT 1 FROM users LIMIT 1').get() === undefined;
      this.stmt(
        `INSERT INTO users (id, email, role, owner, invitation_sha256, invitation_expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        email,
        u.role,
        first ? 1 : 0,
        u.invitation_sha256,
        u.invitation_expires_at ?? Date.now() + INVITATION_LIFETIME_MS,
        new Date().toISOString(),
      );
    });
    return (await this.get(id))!;
  }

  async list(): Promise<User[]> {
    return this.guard(() => this.stmt(`SELECT ${USER} FROM users ORDER BY created_at, id`).all() as UserRow[]).map(
      toUser,
    );
  }

  async get(id: string): Promise<User | null> {
    const row = this.guard(() => this.stmt(`SELECT ${USER} FROM users WHERE id = ?`).get(id) as UserRow | undefined);
    return row ? toUser(row) : null;
  }

  async find(ref: string): Promise<User> {
    const wanted = ref.trim();
    const row = this.guard(
      () =>
        this.stmt(`SELECT ${USER} FROM users WHERE id = ? OR email = ?`).get(wanted, wanted.toLowerCase()) as
          | UserRow
          | undefined,
    );
    if (!row) throw userMissing(wanted);
    return toUser(row);
  }

  async setRole(id: string, role: Role): Promise<User> {
    this.tx(() => {
      const user = this.mustUser(id);
      if (isAdmin(user.role) && !isAdmin(role) && this.otherAdmins(id) === 0) throw lastAdmin(user.email, 'demoted');
      this.stmt('UPDATE users SET role = ? WHERE id = ?').run(role, id);
    });
    return (await this.get(id))!;
  }

  async remove(id: string): Promise<void> {
    this.tx(() => {
      const user = this.mustUser(id);
      if (isAdmin(user.role) && this.otherAdmins(id) === 0) throw lastAdmin(user.email, 'removed');
      this.stmt('DELETE FROM users WHERE id = ?').run(id);
    });
  }

  async createToken(t: {
    user_id: string;
    scope: TokenScope;
    token_sha256: string;
    expires_at: string | null;
  }): Promise<ApiToken> {
    const id = newId('tok');
    this.tx(() => {
      this.mustUser(t.user_id);
      this.stmt(
        'INSERT INTO api_tokens (id, user_id, scope, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(id, t.user_id, t.scope, t.token_sha256, new Date().toISOString(), t.expires_at);
    });
    return this.guard(() => this.stmt(`SELECT ${TOKEN} FROM api_tokens WHERE id = ?`).get(id) as ApiToken);
  }

  async listTokens(userId?: string): Promise<ApiToken[]> {
    return this.guard(() =>
      userId === undefined
        ? (this.stmt(`SELECT ${TOKEN} FROM api_tokens ORDER BY created_at, id`).all() as ApiToken[])
        : (this.stmt(`SELECT ${TOKEN} FROM api_tokens WHERE user_id = ? ORDER BY created_at, id`).all(
            userId,
          ) as ApiToken[]),
    );
  }

  async tokenByHash(sha256: string): Promise<ApiToken | null> {
    return (
      this.guard(
        () => this.stmt(`SELECT ${TOKEN} FROM api_tokens WHERE token_sha256 = ?`).get(sha256) as ApiToken | undefined,
      ) ?? null
    );
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return this.tx(() => {
      const r = this.stmt('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
      return r.changes === 1;
    });
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    this.tx(() => {
      this.mustUser(userId);
      this.stmt('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, userId);
    });
  }

  async credentialsOf(email: string): Promise<{ user: User; password_hash: string | null } | null> {
    const row = this.guard(
      () =>
        this.stmt(`SELECT ${USER}, password_hash FROM users WHERE email = ?`).get(email.trim().toLowerCase()) as
          | (UserRow & { password_hash: string | null })
          | undefined,
    );
    if (!row) return null;
    const { password_hash, ...user } = row;
    return { user: toUser(user), password_hash };
  }

  async redeemInvitation(sha256: string, passwordHash: string, now: number): Promise<User | null> {
    const row = this.tx(
      () =>
        this.stmt(
          `UPDATE users SET password_hash = ?, invitation_sha256 = NULL, invitation_expires_at = NULL
           WHERE invitation_sha256 = ? AND invitation_expires_at > ? RETURNING ${USER}`,
        ).get(passwordHash, sha256, now) as UserRow | undefined,
    );
    return row ? toUser(row) : null;
  }

  async invitationHolder(sha256: string, now: number): Promise<User | null> {
    const row = this.guard(
      () =>
        this.stmt(`SELECT ${USER} FROM users WHERE invitation_sha256 = ? AND invitation_expires_at > ?`).get(
          sha256,
          now,
        ) as UserRow | undefined,
    );
    return row ? toUser(row) : null;
  }

  async createSession(s: NewSessionRow): Promise<void> {
    this.guard(() =>
      this.stmt(
        `INSERT INTO sessions (id_sha256, handle, user_id, via, csrf_token, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(s.id_sha256, s.handle, s.user_id, s.via, s.csrf_token, s.created_at, s.created_at, s.expires_at),
    );
  }

  async sessionByHash(sha256: string): Promise<{ session: SessionRow; user: User | null } | null> {
    const session = this.guard(
      () =>
        this.stmt(
          `SELECT id_sha256, handle, user_id, via, csrf_token, flash, created_at, last_seen_at, expires_at
           FROM sessions WHERE id_sha256 = ?`,
        ).get(sha256) as SessionRow | undefined,
    );
    if (!session) return null;
    if (session.user_id === null) return { session, user: null };
    const user = await this.get(session.user_id);
    return user ? { session, user } : null;
  }

  async touchSession(sha256: string, at: number): Promise<void> {
    this.guard(() => this.stmt('UPDATE sessions SET last_seen_at = ? WHERE id_sha256 = ?').run(at, sha256));
  }

  async setSessionFlash(sha256: string, flash: string): Promise<void> {
    this.guard(() => this.stmt('UPDATE sessions SET flash = ? WHERE id_sha256 = ?').run(flash, sha256));
  }

  async deleteSession(sha256: string): Promise<void> {
    this.guard(() => this.stmt('DELETE FROM sessions WHERE id_sha256 = ?').run(sha256));
  }

  async deleteUserSessions(userId: string | null): Promise<number> {
    return this.guard(() => this.stmt('DELETE FROM sessions WHERE user_id IS ?').run(userId).changes);
  }

  async deleteExpiredSessions(now: number, idleBefore: number): Promise<void> {
    this.guard(() => this.stmt('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?').run(now, idleBefore));
  }

  async lockoutOf(email: string): Promise<LockoutRow | null> {
    return (
      this.guard(
        () =>
          this.stmt('SELECT email, failures, locked_until, last_failure FROM sign_in_lockouts WHERE email = ?').get(
            email,
          ) as LockoutRow | undefined,
      ) ?? null
    );
  }

  async recordSignInFailure(
    email: string,
    now: number,
    lockUntil: (failures: number) => number | null,
  ): Promise<LockoutRow> {
    return this.tx(() => {
      // A day without a failure forgets the count (and bounds the table: failures for unknown emails are rows too).
      this.stmt(
        'DELETE FROM sign_in_lockouts WHERE last_failure < ? AND (locked_until IS NULL OR locked_until < ?)',
      ).run(now - FORGET_FAILURES_MS, now);
      const prev = this.stmt('SELECT failures FROM sign_in_lockouts WHERE email = ?').get(email) as
        | { failures: number }
        | undefined;
      const failures = (prev?.failures ?? 0) + 1;
      const row: LockoutRow = { email, failures, locked_until: lockUntil(failures), last_failure: now };
      this.stmt(
        `INSERT INTO sign_in_lockouts (email, failures, locked_until, last_failure) VALUES (?, ?, ?, ?)
         ON CONFLICT (email) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
           last_failure = excluded.last_failure`,
      ).run(email, failures, row.locked_until, now);
      return row;
    });
  }

  async clearSignInFailures(email: string): Promise<void> {
    this.guard(() => this.stmt('DELETE FROM sign_in_lockouts WHERE email = ?').run(email));
  }

  private mustUser(id: string): User {
    const row = this.stmt(`SELECT ${USER} FROM users WHERE id = ?`).get(id) as UserRow | undefined;
    if (!row) throw userMissing(id);
    return toUser(row);
  }

  private otherAdmins(id: string): number {
    return (this.stmt(`SELECT count(*) AS n FROM users WHERE role = 'admin' AND id <> ?`).get(id) as { n: number }).n;
  }
}
