import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { openRuntime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/app.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';
import { passwordLogin, setCookies, TEST_KEY } from './helpers.js';

/**
 * `snagsync users set-password EMAIL --password-stdin` (the compiled CLI): the password comes from standard input,
 * never argv; `serve` over the same store then signs the user in with it; a new password ends the old sessions.
 */

let t: ReturnType<typeof tempDir>;
const env = () => ({ SNAGSYNC_HOME: t.dir, SNAGSYNC_DATABASE_URL: '' });
const PASSWORD = 'a long enough passphrase';

beforeAll(() => {
  t = tempDir('snagsync-signin-cli-');
});
afterAll(() => t.cleanup());

describe('snagsync users set-password', () => {
  it('sets a password from stdin, refuses one on the command line or too short, and ends old sessions', async () => {
    const added = await runCli(['users', 'add', 'ada@example.com', '--role', 'admin'], { env: env() });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/at the server's address followed by \/invite\/snagi_[A-Za-z0-9_-]{43}\n/);

    const noStdin = await runCli(['users', 'set-password', 'ada@example.com'], { env: env() });
    expect(noStdin.code).not.toBe(0);
    expect(noStdin.stderr).toContain('--password-stdin');
    const argv = await runCli(['users', 'set-password', 'ada@example.com', '--password', PASSWORD], { env: env() });
    expect(argv.code).not.toBe(0);
    const short = await runCli(['users', 'set-password', 'ada@example.com', '--password-stdin'], {
      env: env(),
      stdin: 'short\n',
    });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('too short');

    const runtime = openRuntime({ home: t.dir, env: {} });
    const app = await buildServer({ runtime, apiKey: TEST_KEY, logger: createLogger(process.stderr, 'silent') });
    try {
      const first = await runCli(['users', 'set-password', 'ada@example.com', '--password-stdin'], {
        env: env(),
        stdin: `${PASSWORD}\n`,
      });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout + first.stderr).not.toContain(PASSWORD);
      const signedIn = await passwordLogin(app, 'ada@example.com', PASSWORD);
      expect(signedIn.statusCode).toBe(303);
      const cookie = `snagsync_session=${setCookies(signedIn).get('snagsync_session')!.value}`;
      expect((await app.inject({ method: 'GET', url: '/sources', headers: { cookie } })).statusCode).toBe(200);

      const again = await runCli(['users', 'set-password', 'ada@example.com', '--password-stdin', '--json'], {
        env: env(),
        stdin: `${PASSWORD} 2`,
      });
      expect(JSON.parse(again.stdout)).toMatchObject({ sessions_ended: 1 });
      expect((await app.inject({ method: 'GET', url: '/sources', headers: { cookie } })).statusCode).toBe(303);
      expect((await passwordLogin(app, 'ada@example.com', PASSWORD)).statusCode).toBe(401);
      expect((await passwordLogin(app, 'ada@example.com', `${PASSWORD} 2`)).statusCode).toBe(303);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});
