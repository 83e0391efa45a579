import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/** `snagsync serve` as shipped (compiled CLI): the key printed once, the key file, static files from dist, refusals. */

let home: ReturnType<typeof tempDir>;
const children: ChildProcess[] = [];
beforeEach(() => {
  home = tempDir('snagsync-serve-');
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  home.cleanup();
});

interface Started {
  child: ChildProcess;
  info: Record<string, string | null>;
  stderr: () => string;
}

/** Starts `serve --json` and resolves with its first stdout line (printed once it listens). */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
    env: { ...process.env, SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: '', SNAGSYNC_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0)
        resolve({ child, info: JSON.parse(out.slice(0, nl)) as Record<string, string | null>, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

async function stop(s: Started): Promise<number | null> {
  const done = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
  s.child.kill('SIGTERM');
  return done;
}

describe('snagsync serve', () => {
  it('generates a key on the first start, prints it once, keeps it in <home>/server.key (0600); serves API and static files', async () => {
    const first = await serve([]);
    expect(first.info).toMatchObject({ key_source: 'generated', key_file: join(home.dir, 'server.key') });
    const key = first.info.key!;
    expect(key).toMatch(/^ssk_[A-Za-z0-9_-]{43}$/);
    expect(first.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const file = join(home.dir, 'server.key');
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const url = first.info.url!;
    expect((await fetch(`${url}/api/data_credentials`)).status).toBe(401);
    const listed = await fetch(`${url}/api/data_credentials`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([]);
    const js = await fetch(`${url}/static/app.js`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain('data-enhance');
    const login = await fetch(`${url}/login`);
    expect(await login.text()).toContain('Log in to snagsync');
    expect(await stop(first)).toBe(0);
    expect(first.stderr()).not.toContain(key);

    const second = await serve([]);
    expect(second.info).toMatchObject({ key_source: 'file', key_file: file });
    expect(second.info.key).toBeUndefined();
    expect(await stop(second)).toBe(0);
  });

  it('takes the key from SNAGSYNC_SERVER_KEY, and refuses a weak one', async () => {
    const s = await serve([], { SNAGSYNC_SERVER_KEY: 'an-env-key-long-enough-123' });
    expect(s.info).toMatchObject({ key_source: 'env', key_file: null });
    const ok = await fetch(`${s.info.url}/api/data_credentials`, {
      headers: { 'x-snagsync-key': 'an-env-key-long-enough-123' },
    });
    expect(ok.status).toBe(200);
    await stop(s);
    const weak = await runCli(['serve', '--port', '0'], {
      env: { SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: 'short' },
    });
    expect(weak.code).toBe(3);
    expect(weak.stderr).toContain('too weak');
    expect(weak.stderr).not.toContain('short\n');
  });

  it('refuses a non-loopback address without TLS, and without a key set beforehand', async () => {
    const plain = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
      env: { SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: 'an-env-key-long-enough-123' },
    });
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without TLS/);
    expect(plain.stderr).toMatch(/--tls-cert/);
    writeFileSync(join(home.dir, 'c.pem'), 'x');
    const noKey = await runCli(
      [
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--tls-cert',
        join(home.dir, 'c.pem'),
        '--tls-key',
        join(home.dir, 'c.pem'),
      ],
      {
        env: { SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: '' },
      },
    );
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toMatch(/No server key: SNAGSYNC_SERVER_KEY is not set/);
    const half = await runCli(['serve', '--tls-cert', 'x.pem'], { env: { SNAGSYNC_HOME: home.dir } });
    expect(half.code).toBe(2);
    // A bad option value is invalid input (README, exit codes): 3, naming the option.
    const port = await runCli(['serve', '--port', 'abc'], { env: { SNAGSYNC_HOME: home.dir } });
    expect(port.code).toBe(3);
    expect(port.stderr).toContain('--port');
  });

  it('serves HTTPS with --tls-cert/--tls-key; the session cookie is then Secure', async () => {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(home.dir, 'key.pem'),
        '-out',
        join(home.dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    if (made.status !== 0)
      return void process.stderr.write('[snagsync tests] openssl missing: TLS serve test skipped\n');
    const s = await serve(['--tls-cert', join(home.dir, 'cert.pem'), '--tls-key', join(home.dir, 'key.pem')], {
      SNAGSYNC_SERVER_KEY: 'an-env-key-long-enough-123',
    });
    expect(s.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      // A throwaway self-signed certificate: not verified in this test only.
      const req = request(`${s.info.url}/login`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.headers);
      });
      req.on('error', reject);
      req.end();
    });
    expect(String(headers['set-cookie'])).toMatch(/Secure/);
    expect(headers['strict-transport-security']).toBe('max-age=31536000');
    await stop(s);
  });
});
