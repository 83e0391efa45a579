import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../credentials/helpers.js';
import { runCli } from '../helpers/cli.js';
import { keyHeaders, testServer, type TestServer } from '../server/helpers.js';
import { tempDir } from '../store/helpers.js';

/**
 * Issue 19 item 1 on the two faces: a credential name holding U+200B (zero width space) is refused by the HTTP API
 * (400 on the `name` field) and by the compiled CLI (exit 3, config), saying which character and where; an ordinary
 * name with accents, CJK and an emoji sequence is accepted. The token goes to a closed loopback port at most.
 */

const TOKEN = 'tok-aaaa-1111';

describe('HTTP API: POST /api/data_credentials', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await testServer({ verify: { logger: false, timeoutMs: 2000 } });
  });
  afterEach(async () => {
    await s.cleanup();
  });

  const post = async (name: string) =>
    s.app.inject({
      method: 'POST',
      url: '/api/data_credentials',
      headers: keyHeaders(),
      payload: { name, credentials: { auth_token: TOKEN, host: await closedPort() }, verify: false },
    });

  it('a name with U+200B: 400 on the name field, saying which character and where; nothing saved', async () => {
    const r = await post('Pro\u200Bd');
    expect(r.statusCode, r.body).toBe(400);
    const body = r.json() as Record<string, unknown> & { fields: Record<string, string> };
    expect(body).toMatchObject({ error: 'config', field: 'name' });
    expect(body.message).toContain('U+200B (zero width space) at position 4');
    expect(body.fields.name).toContain('U+200B');
    expect(JSON.stringify(body)).not.toMatch(/snagsync credentials|--name/);
    expect(await s.runtime.store.credentials.list()).toEqual([]);
  });

  it('accents, CJK and an emoji sequence: 201, the name as typed', async () => {
    const name = 'Équipe 東京 \u{1F469}\u200D\u{1F4BB}';
    const r = await post(name);
    expect(r.statusCode, r.body).toBe(201);
    expect((r.json() as { name: string }).name).toBe(name);
  });
});

describe('CLI: snagsync credentials add', () => {
  let home: ReturnType<typeof tempDir>;
  beforeEach(() => {
    home = tempDir('snagsync-cli-names-');
  });
  afterEach(() => {
    home.cleanup();
  });

  const add = async (name: string) =>
    runCli(['credentials', 'add', '--name', name, '--host', await closedPort(), '--token-stdin', '--no-verify'], {
      env: { SNAGSYNC_HOME: home.dir },
      stdin: `${TOKEN}\n`,
    });

  it('a name with U+200B: exit 3 (configuration), the character and its position on stderr', async () => {
    const r = await add('Pro\u200Bd');
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('The credential name contains U+200B (zero width space) at position 4');
    expect(r.stdout).toBe('');
    const list = await runCli(['credentials', 'list', '--json'], { env: { SNAGSYNC_HOME: home.dir } });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('accents, CJK and an emoji sequence are saved as typed', async () => {
    const name = 'Équipe 東京 \u{1F469}\u200D\u{1F4BB}';
    const r = await add(name);
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(['credentials', 'list', '--json'], { env: { SNAGSYNC_HOME: home.dir } });
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((c) => c.name)).toEqual([name]);
  });
});
