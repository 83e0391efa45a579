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

export interface ApiToken {
  id: string;
  user_id: string;
  scope: TokenScope;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface UserRepository {
  /** Throws SnagError('conflict') when the email is taken. The first user made becomes the owner. */
  add(u: { email: string; role: Role; invitation_sha256: string }): Promise<User>;
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
}
