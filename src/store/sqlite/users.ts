import { newId } from '../../core/ids.js';
import { emailTaken, isAdmin, lastAdmin, normalEmail, userMissing } from '../team-rules.js';
import type { ApiToken, Role, TokenScope, User, UserRepository } from '../users.js';
import { SqliteRepo } from './base.js';

const USER = 'id, email, role, owner, created_at';
const TOKEN = 'id, user_id, scope, created_at, expires_at, revoked_at';

type UserRow = Omit<User, 'owner'> & { owner: number };

const toUser = (r: UserRow): User => ({ ...r, owner: r.owner === 1 });

export class SqliteUsers extends SqliteRepo implements UserRepository {
  async add(u: { email: string; role: Role; invitation_sha256: string }): Promise<User> {
    const email = normalEmail(u.email);
    const id = newId('usr');
    this.tx(() => {
      if (this.stmt('SELECT 1 FROM users WHERE email = ?').get(email)) throw emailTaken(email);
      const first = this.stmt('SELECT 1 FROM users LIMIT 1').get() === undefined;
      this.stmt(
        `INSERT INTO users (id, email, role, owner, invitation_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(id, email, u.role, first ? 1 : 0, u.invitation_sha256, new Date().toISOString());
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

  private mustUser(id: string): User {
    const row = this.stmt(`SELECT ${USER} FROM users WHERE id = ?`).get(id) as UserRow | undefined;
    if (!row) throw userMissing(id);
    return toUser(row);
  }

  private otherAdmins(id: string): number {
    return (this.stmt(`SELECT count(*) AS n FROM users WHERE role = 'admin' AND id <> ?`).get(id) as { n: number }).n;
  }
}
