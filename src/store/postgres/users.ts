import { newId } from '../../core/ids.js';
import { emailTaken, isAdmin, lastAdmin, normalEmail, userMissing } from '../team-rules.js';
import {
  type ApiToken,
  INVITATION_LIFETIME_MS,
  type LockoutRow,
  type NewSessionRow,
  type Role,
  type SessionRow,
  type TeamContents,
  type TokenScope,
  type User,
  type UserRepository,
} from '../users.js';
import { isoOrNull, PgRepo } from './base.js';
import type { Client } from './connection.js';

const USER = 'id, email, role, owner, created_at';
const FORGET_FAILURES_MS = 24 * 3600_000;
const TOKEN = 'id, user_id, scope, created_at, expires_at, revoked_at';

function toUser(r: Record<string, unknown>): User {
  return {
    id: String(r.id),
    email: String(r.email),
    role: r.role as Role,
    owner: r.owner === true,
    created_at: isoOrNull(r.created_at) ?? '',
  };
}

function toToken(r: Record<string, unknown>): ApiToken {
  return {
    id: String(r.id),
    user_id: String(r.user_id),
    scope: r.scope as TokenScope,
    created_at: isoOrNull(r.created_at) ?? '',
    expires_at: isoOrNull(r.expires_at),
    revoked_at: isoOrNull(r.revoked_at),
  };
}

function toSession(r: Record<string, unknown>): SessionRow {
  return {
    id_sha256: String(r.id_sha256),
    handle: String(r.handle),
    user_id: r.user_id === null ? null : String(r.user_id),
    via: String(r.via),
    csrf_token: String(r.csrf_token),
    flash: String(r.flash),
    created_at: Number(r.created_at),
    last_seen_at: Number(r.last_seen_at),
    expires_at: Number(r.expires_at),
  };
}

function toLockout(r: Record<string, unknown>): LockoutRow {
  return {
    email: String(r.email),
    failures: Number(r.failures),
    locked_until: r.locked_until === null ? null : Number(r.locked_until),
    last_failure: Number(r.last_failure),
  };
}

export class PgUsers extends PgRepo implements UserRepository {
  async add(u: {
    email: string;
    role: Role;
    invitation_sha256: string;
    invitation_expires_at?: number;
  }): Promise<User> {
    const email = normalEmail(u.email);
    return this.tx(async (c) => {
      // One owner even when two processes add the first users at once: the table lock orders them.
      await c.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
      const taken = await c.query('SELECT 1 FROM users WHERE email = $1', [email]);
      if (taken.rowCount) throw emailTaken(email);
      const any = await c.query('SELECT 1 FROM users LIMIT 1');
      const r = await c.query(
        `INSERT INTO users (id, email, role, owner, invitation_sha256, invitation_expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING ${USER}`,
        [
          newId('usr'),
          email,
          u.role,
          !any.rowCount,
          u.invitation_sha256,
          u.invitation_expires_at ?? Date.now() + INVITATION_LIFETIME_MS,
        ],
      );
      return toUser(r.rows[0]!);
    });
  }

  async list(): Promise<User[]> {
    return (await this.q(`SELECT ${USER} FROM users ORDER BY created_at, id COLLATE "C"`)).map(toUser);
  }

  async get(id: string): Promise<User | null> {
    const [row] = await this.q(`SELECT ${USER} FROM users WHERE id = $1`, [id]);
    return row ? toUser(row) : null;
  }

  async find(ref: string): Promise<User> {
    const wanted = ref.trim();
    const [row] = await this.q(`SELECT ${USER} FROM users WHERE id = $1 OR email = $2`, [wanted, wanted.toLowerCase()]);
    if (!row) throw userMissing(wanted);
    return toUser(row);
  }

  async setRole(id: string, role: Role): Promise<User> {
    return this.tx(async (c) => {
      const user = await this.lockAdmins(c, id);
      if (isAdmin(user.role) && !isAdmin(role) && (await this.otherAdmins(c, id)) === 0) {
        throw lastAdmin(user.email, 'demoted');
      }
      const r = await c.query(`UPDATE users SET role = $1 WHERE id = $2 RETURNING ${USER}`, [role, id]);
      return toUser(r.rows[0]!);
    });
  }

  async remove(id: string): Promise<void> {
    await this.tx(async (c) => {
      const user = await this.lockAdmins(c, id);
      if (isAdmin(user.role) && (await this.otherAdmins(c, id)) === 0) throw lastAdmin(user.email, 'removed');
      await c.query('DELETE FROM users WHERE id = $1', [id]);
    });
  }

  async createToken(t: {
    user_id: string;
    scope: TokenScope;
    token_sha256: string;
    expires_at: string | null;
  }): Promise<ApiToken> {
    return this.tx(async (c) => {
      const u = await c.query('SELECT 1 FROM users WHERE id = $1', [t.user_id]);
      if (!u.rowCount) throw userMissing(t.user_id);
      const r = await c.query(
        `INSERT INTO api_tokens (id, user_id, scope, token_sha256, created_at, expires_at)
         VALUES ($1, $2, $3, $4, now(), $5) RETURNING ${TOKEN}`,
        [newId('tok'), t.user_id, t.scope, t.token_sha256, t.expires_at],
      );
      return toToken(r.rows[0]!);
    });
  }

  async listTokens(userId?: string): Promise<ApiToken[]> {
    const rows =
      userId === undefined
        ? await this.q(`SELECT ${TOKEN} FROM api_tokens ORDER BY created_at, id COLLATE "C"`)
        : await this.q(`SELECT ${TOKEN} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id COLLATE "C"`, [
            userId,
          ]);
    return rows.map(toToken);
  }

  async tokenByHash(sha256: string): Promise<ApiToken | null> {
    const [row] = await this.q(`SELECT ${TOKEN} FROM api_tokens WHERE token_sha256 = $1`, [sha256]);
    return row ? toToken(row) : null;
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const rows = await this.q(
      'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING id',
      [at, id],
    );
    return rows.length === 1;
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    const rows = await this.q('UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING id', [passwordHash, userId]);
    if (rows.length === 0) throw userMissing(userId);
  }

  async credentialsOf(email: string): Promise<{ user: User; password_hash: string | null } | null> {
    const [row] = await this.q(`SELECT ${USER}, password_hash FROM users WHERE email = $1`, [
      email.trim().toLowerCase(),
    ]);
    if (!row) return null;
    return { user: toUser(row), password_hash: row.password_hash === null ? null : String(row.password_hash) };
  }

  async redeemInvitation(sha256: string, passwordHash: string, now: number): Promise<User | null> {
    const [row] = await this.q(
      `UPDATE users SET password_hash = $1, invitation_sha256 = NULL, invitation_expires_at = NULL
       WHERE invitation_sha256 = $2 AND invitation_expires_at > $3 RETURNING ${USER}`,
      [passwordHash, sha256, now],
    );
    return row ? toUser(row) : null;
  }

  async invitationHolder(sha256: string, now: number): Promise<User | null> {
    const [row] = await this.q(
      `SELECT ${USER} FROM users WHERE invitation_sha256 = $1 AND invitation_expires_at > $2`,
      [sha256, now],
    );
    return row ? toUser(row) : null;
  }

  async createSession(s: NewSessionRow): Promise<void> {
    await this.q(
      `INSERT INTO sessions (id_sha256, handle, user_id, via, csrf_token, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
      [s.id_sha256, s.handle, s.user_id, s.via, s.csrf_token, s.created_at, s.expires_at],
    );
  }

  async sessionByHash(sha256: string): Promise<{ session: SessionRow; user: User | null } | null> {
    // One round trip: the session and its user's current row (the role is read per request, never cached).
    const [row] = await this.q(
      `SELECT s.id_sha256, s.handle, s.user_id, s.via, s.csrf_token, s.flash::text AS flash, s.created_at,
              s.last_seen_at, s.expires_at, u.id AS u_id, u.email AS u_email, u.role AS u_role, u.owner AS u_owner,
              u.created_at AS u_created_at
       FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id_sha256 = $1`,
      [sha256],
    );
    if (!row) return null;
    const session = toSession(row);
    if (session.user_id === null) return { session, user: null };
    if (row.u_id === null) return null;
    const user = toUser({
      id: row.u_id,
      email: row.u_email,
      role: row.u_role,
      owner: row.u_owner,
      created_at: row.u_created_at,
    });
    return { session, user };
  }

  async touchSession(sha256: string, at: number): Promise<void> {
    await this.q('UPDATE sessions SET last_seen_at = $1 WHERE id_sha256 = $2', [at, sha256]);
  }

  async setSessionFlash(sha256: string, flash: string): Promise<void> {
    await this.q('UPDATE sessions SET flash = $1::jsonb WHERE id_sha256 = $2', [flash, sha256]);
  }

  async deleteSession(sha256: string): Promise<void> {
    await this.q('DELETE FROM sessions WHERE id_sha256 = $1', [sha256]);
  }

  async deleteUserSessions(userId: string | null): Promise<number> {
    return (await this.q('DELETE FROM sessions WHERE user_id IS NOT DISTINCT FROM $1 RETURNING 1', [userId])).length;
  }

  async deleteExpiredSessions(now: number, idleBefore: number): Promise<void> {
    await this.q('DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2', [now, idleBefore]);
  }

  async lockoutOf(email: string): Promise<LockoutRow | null> {
    const [row] = await this.q(
      'SELECT email, failures, locked_until, last_failure FROM sign_in_lockouts WHERE email = $1',
      [email],
    );
    return row ? toLockout(row) : null;
  }

  async recordSignInFailure(
    email: string,
    now: number,
    lockUntil: (failures: number) => number | null,
  ): Promise<LockoutRow> {
    return this.tx(async (c) => {
      // A day without a failure forgets the count (and bounds the table: failures for unknown emails are rows too).
      await c.query(
        'DELETE FROM sign_in_lockouts WHERE last_failure < $1 AND (locked_until IS NULL OR locked_until < $2)',
        [now - FORGET_FAILURES_MS, now],
      );
      // The row is locked while counted: two servers failing the same account at once both count.
      await c.query(
        `INSERT INTO sign_in_lockouts (email, failures, last_failure) VALUES ($1, 0, $2) ON CONFLICT (email) DO NOTHING`,
        [email, now],
      );
      const r = await c.query('SELECT failures FROM sign_in_lockouts WHERE email = $1 FOR UPDATE', [email]);
      const failures = Number(r.rows[0]!.failures) + 1;
      const row: LockoutRow = { email, failures, locked_until: lockUntil(failures), last_failure: now };
      await c.query(
        'UPDATE sign_in_lockouts SET failures = $2, locked_until = $3, last_failure = $4 WHERE email = $1',
        [email, failures, row.locked_until, now],
      );
      return row;
    });
  }

  async clearSignInFailures(email: string): Promise<void> {
    await this.q('DELETE FROM sign_in_lockouts WHERE email = $1', [email]);
  }

  /** Every user and token row as stored (hashes only), as SQLite's contents give them: for `store migrate`. */
  async teamContents(): Promise<TeamContents> {
    const users = await this.q(
      `SELECT id, email, role, owner, invitation_sha256, invitation_expires_at, password_hash, created_at
       FROM users ORDER BY created_at, id COLLATE "C"`,
    );
    const tokens = await this.q(
      `SELECT id, user_id, scope, token_sha256, created_at, expires_at, revoked_at
       FROM api_tokens ORDER BY created_at, id COLLATE "C"`,
    );
    const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
    return {
      users: users.map((r) => ({
        ...toUser(r),
        invitation_sha256: text(r.invitation_sha256),
        invitation_expires_at: r.invitation_expires_at === null ? null : Number(r.invitation_expires_at),
        password_hash: text(r.password_hash),
      })),
      tokens: tokens.map((r) => ({ ...toToken(r), token_sha256: String(r.token_sha256) })),
    };
  }

  /** The user, with every admin row locked: two demotions at once cannot both leave "another admin". */
  private async lockAdmins(c: Client, id: string): Promise<User> {
    await c.query(`SELECT id FROM users WHERE role = 'admin' FOR UPDATE`);
    const r = await c.query(`SELECT ${USER} FROM users WHERE id = $1 FOR UPDATE`, [id]);
    if (!r.rowCount) throw userMissing(id);
    return toUser(r.rows[0]!);
  }

  private async otherAdmins(c: Client, id: string): Promise<number> {
    const r = await c.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND id <> $1`, [id]);
    return Number(r.rows[0]!.n);
  }
}
