import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { openRuntime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/app.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * `snagsync users` and `snagsync tokens` (the compiled CLI) on a home, and `serve` over the same store taking the
 * token the CLI printed once: as its user's role, capped by its scope, and refused once revoked.
 */

let t: ReturnType<typeof tempDir>;
const env = () => ({ SNAGSYNC_HOME: t.dir });
const cli = async (args: string[]) => {
  const r = await runCli(args, { env: env() });
  expect(r.code, r.stderr).toBe(0);
  return r;
};

beforeAll(() => {
  t = tempDir('snagsync-team-cli-');
});
afterAll(() => t.cleanup());

describe('snagsync users and tokens', () => {
  it('adds users (the first is the owner), prints a secret once, refuses to demote the last admin', async () => {
    const added = await cli(['users', 'add', 'Ada@example.com', '--role', 'admin', '--json']);
    const ada = JSON.parse(added.stdout);
    expect(ada).toMatchObject({ email: 'ada@example.com', role: 'admin', owner: true });
    expect(ada.invitation).toMatch(/^snagi_[A-Za-z0-9_-]{43}$/);
    await cli(['users', 'add', 'ed@example.com', '--role', 'editor']);
    const list = JSON.parse((await cli(['users', 'list', '--json'])).stdout);
    expect(list.map((u: { email: string; role: string }) => `${u.email} ${u.role}`)).toEqual([
      'ada@example.com admin',
      'ed@example.com editor',
    ]);
    expect((await cli(['users', 'list'])).stdout).not.toContain(ada.invitation);
    const demote = await runCli(['users', 'set-role', 'ada@example.com', 'viewer'], { env: env() });
    expect(demote.code).toBe(5);
    expect(demote.stderr).toContain('last admin');
    const wrong = await runCli(['users', 'add', 'x@example.com', '--role', 'boss'], { env: env() });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('--role');
  });

  it('creates a token printed once that serve takes, as the lower of role and scope, until revoked', async () => {
    const made = await cli([
      'tokens',
      'create',
      '--user',
      'ed@example.com',
      '--scope',
      'admin',
      '--expires',
      '30d',
      '--json',
    ]);
    const { token, id, scope, expires_at } = JSON.parse(made.stdout);
    expect(token).toMatch(/^snagt_/);
    expect(scope).toBe('admin');
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const listed = await cli(['tokens', 'list', '--json']);
    expect(listed.stdout).not.toContain(token);
    expect(JSON.parse(listed.stdout).map((x: { id: string }) => x.id)).toEqual([id]);

    const runtime = openRuntime({ home: t.dir, env: {} });
    const lines: string[] = [];
    const app = await buildServer({
      runtime,
      apiKey: 'team-cli-server-key-0123456789abcdef',
      logger: createLogger(
        new Writable({
          write(c: Buffer, _e, cb) {
            lines.push(c.toString());
            cb();
          },
        }),
        'debug',
      ),
    });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await app.inject({ method: 'GET', url: '/api/data_sources', headers: auth })).statusCode).toBe(200);
      // An editor's token with the admin scope still acts as an editor.
      const users = await app.inject({ method: 'GET', url: '/api/users', headers: auth });
      expect(users.statusCode).toBe(403);
      expect(users.json().message).toContain('users:manage');
      await cli(['tokens', 'revoke', id]);
      expect((await app.inject({ method: 'GET', url: '/api/data_sources', headers: auth })).statusCode).toBe(401);
      expect(lines.join('')).not.toContain(token);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
  it('snagsync audit prints what serve recorded: the refusal, with the permission missing and no token', async () => {
    const page = JSON.parse((await cli(['audit', '--json'])).stdout);
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).toMatchObject({
      actor: 'ed@example.com',
      actor_kind: 'token',
      route: '/api/users',
      outcome: 'refused',
      permission: 'users:manage',
    });
    const text = (await cli(['audit'])).stdout;
    expect(text).toContain('GET /api/users');
    expect(text).toContain('refused 403 (users:manage)');
  });
});
