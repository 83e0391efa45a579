import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/engine/webhooks/secret.js';
import { openRuntime } from '../../src/runtime.js';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';
import { fixture, rows, TOKEN, until, webhookSource } from './webhooks-helpers.js';

/** `snagsync sources webhook SOURCE [--rotate] [--enable|--disable] [--json]`, spawned as a user runs it. */

let home: { dir: string; cleanup: () => void };
let data: { dir: string; cleanup: () => void };
beforeEach(() => {
  home = tempDir('snagsync-webhook-cli-');
  data = tempDir('snagsync-webhook-cli-data-');
});
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  home.cleanup();
  data.cleanup();
});

/** Starts `snagsync serve --json` and resolves with its URL once it listens. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string; webhooks: boolean }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--no-scheduler', ...args], {
    env: { ...process.env, SNAGSYNC_HOME: home.dir, SNAGSYNC_SERVER_KEY: '', SNAGSYNC_DATABASE_URL: '' },
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
      if (nl >= 0) {
        const info = JSON.parse(out.slice(0, nl)) as { url: string; webhooks: boolean };
        resolve({ child, url: info.url, webhooks: info.webhooks });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

const cli = (args: string[]) => runCli(args, { env: { SNAGSYNC_HOME: home.dir, SNAGSYNC_DATABASE_URL: '' } });

describe('snagsync sources webhook', () => {
  it('shows the path, replaces the secret, switches it; the store keeps only the digest and the sealed secret', async () => {
    const rt = openRuntime({ home: home.dir, env: {} });
    const src = await webhookSource(rt, data.dir);
    await rt.close();

    const shown = await cli(['sources', 'webhook', src.sourceId, '--json']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const view = JSON.parse(shown.stdout);
    expect(view).toMatchObject({ path: src.path, enabled: true, last_received_at: null, received: 0, failed: 0 });

    const rotated = JSON.parse((await cli(['sources', 'webhook', src.sourceId, '--rotate', '--json'])).stdout);
    expect(rotated.path).toMatch(new RegExp(`^/hooks/bugsnag/${src.sourceId}/[A-Za-z0-9_-]{43}$`));
    expect(rotated.path).not.toBe(src.path);

    const off = JSON.parse((await cli(['sources', 'webhook', src.sourceId, '--disable', '--json'])).stdout);
    expect(off).toMatchObject({ path: rotated.path, enabled: false });

    const text = await cli(['sources', 'webhook', src.sourceId, '--enable']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(rotated.path);
    expect(text.stdout).toContain(': on');
    expect(text.stdout).not.toMatch(/button|click/i);
    for (const r of [shown, text]) expect(r.stdout + r.stderr).not.toContain(TOKEN);

    const after = openRuntime({ home: home.dir, env: {} });
    const stored = await after.store.webhooks.get(src.sourceId);
    await after.close();
    const secret = rotated.path.split('/').pop();
    expect(stored).toMatchObject({ enabled: true, secret_sha256: secretDigest(secret) });
    expect(stored!.secret_envelope).not.toContain(secret);
  });

  it('a spawned serve writes what Bugsnag posts to the path; with --no-webhooks the same URL is 404', async () => {
    const rt = openRuntime({ home: home.dir, env: {} });
    const src = await webhookSource(rt, data.dir);
    await rt.close();
    const on = await serve([]);
    expect(on.webhooks).toBe(true);
    const body = JSON.stringify(fixture('firstException'));
    const post = (url: string) =>
      fetch(`${url}${src.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post(on.url)).status).toBe(202);
    await until('the error row', async () => (await rows(src.destination, 'errors')).length === 1);
    await stop(on.child);

    const off = await serve(['--no-webhooks']);
    expect(off.webhooks).toBe(false);
    const refused = await post(off.url);
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ error: 'not_found', message: 'Nothing here.', status: 404 });
  });

  it('--enable and --disable together are refused', async () => {
    const rt = openRuntime({ home: home.dir, env: {} });
    const src = await webhookSource(rt, data.dir);
    await rt.close();
    const r = await cli(['sources', 'webhook', src.sourceId, '--enable', '--disable']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot be used with/);
  });
});
