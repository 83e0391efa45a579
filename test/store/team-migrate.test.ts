import { describe, expect, it } from 'vitest';
import { openPostgresStore, openStore } from '../../src/store/index.js';
import { hashPassword, verifyPassword } from '../../src/store/team/passwords.js';
import { secretHash } from '../../src/store/team/secrets.js';
import { createToken, tokenHolder } from '../../src/store/team/tokens.js';
import { requireService } from '../helpers/services.js';
import { tempDir } from './helpers.js';
import { testSchema } from './pg.js';

/**
 * `snagsync store migrate` (importContents) carries the team to PostgreSQL: users with their roles, password hashes
 * and pending invitations, and API tokens (hashes), so the same passwords, invitations and tokens work there.
 * Copied only where absent: a second migration changes nothing, and PostgreSQL's own users are left alone.
 */

const enabled = requireService('postgres');

describe.skipIf(!enabled)('store migrate: the team', () => {
  it('copies users, password and invitation hashes, and tokens; again, nothing changes', async () => {
    const s = testSchema('snagteam');
    const t = tempDir();
    const from = openStore({ home: t.dir });
    const to = openPostgresStore(s.url);
    try {
      const now = Date.now();
      const ada = await from.users.add({ email: 'ada@example.com', role: 'admin', invitation_sha256: 'a'.repeat(64) });
      await from.users.setPassword(ada.id, await hashPassword('ada long password'));
      await from.users.add({
        email: 'ed@example.com',
        role: 'editor',
        invitation_sha256: secretHash('snagi_pending'),
        invitation_expires_at: now + 3600_000,
      });
      const { token } = await createToken(from, { user: 'ada@example.com', scope: 'write' }, now);
      // A user PostgreSQL already has under another id keeps its own row.
      await to.users.add({ email: 'ed@example.com', role: 'viewer', invitation_sha256: 'c'.repeat(64) });

      const first = await to.importContents(await from.contents());
      expect(first.users).toEqual({ inserted: 1, updated: 0, unchanged: 1 });
      expect(first.api_tokens).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      const again = await to.importContents(await from.contents());
      expect(again.users).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
      expect(again.api_tokens).toEqual({ inserted: 0, updated: 0, unchanged: 1 });

      const copied = await to.users.credentialsOf('ada@example.com');
      expect(copied?.user).toMatchObject({ id: ada.id, role: 'admin', owner: false });
      expect(await verifyPassword('ada long password', copied!.password_hash!)).toBe(true);
      expect((await tokenHolder(to, token, now))?.user.email).toBe('ada@example.com');
      expect((await to.users.find('ed@example.com')).role).toBe('viewer');
      expect((await to.users.list()).filter((u) => u.owner).map((u) => u.email)).toEqual(['ed@example.com']);
    } finally {
      await from.close();
      await to.close();
      t.cleanup();
      await s.drop();
    }
  });

  it('carries a pending invitation, which can then be redeemed there once', async () => {
    const s = testSchema('snagteam');
    const t = tempDir();
    const from = openStore({ home: t.dir });
    const to = openPostgresStore(s.url);
    try {
      const now = Date.now();
      await from.users.add({
        email: 'vi@example.com',
        role: 'viewer',
        invitation_sha256: secretHash('snagi_pending'),
        invitation_expires_at: now + 3600_000,
      });
      await to.importContents(await from.contents());
      expect((await to.users.list())[0]).toMatchObject({ email: 'vi@example.com', owner: true });
      const hash = await hashPassword('vi long password');
      expect(await to.users.redeemInvitation(secretHash('snagi_pending'), hash, now)).toMatchObject({
        email: 'vi@example.com',
      });
      expect(await to.users.redeemInvitation(secretHash('snagi_pending'), hash, now)).toBeNull();
    } finally {
      await from.close();
      await to.close();
      t.cleanup();
      await s.drop();
    }
  });
});
