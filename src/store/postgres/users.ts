import { newId } from '../../core/ids.js';
import { emailTaken, isAdmin, lastAdmin, normalEmail, userMissing } from '../team-rules.js';
import type { ApiToken, Role, TokenScope, User, UserRepository } from '../users.js';
import { isoOrNull, PgRepo } from './base.js';
import type { Client } from './connection.js';

const USER = 'id, email, role, owner, created_at';
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

export class PgUsers extends PgRepo implements UserRepository {
  async add(u: { email: string; role: Role; invitation_sha256: string }): Promise<User> {
    const email = normalEmail(u.email);
    return this.tx(async (c) => {
      // One owner even when two processes add the first users at once: the table lock orders them.
      await c.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
      const taken = await c.query('SELECT 1 FROM users WHERE email = $1', [email]);
      if (taken.rowCount) throw emailTaken(email);
      const any = await c.query('SELECT 1 FROM users LIMIT 1');
      const r = await c.query(
        `INSERT INTO users (id, email, role, owner, invitation_sha256, created_at) VALUES ($1, $2, $3, $4, $5, now())
         RETURNING ${USER}`,
        [newId('usr'), email, u.role, !any.rowCount, u.invitation_sha256],
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
