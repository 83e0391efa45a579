import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secretDigest } from '../../src/engine/webhooks/secret.js';
import { openRuntime } from '../../src/runtime.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';
import { TOKEN, webhookSource } from './webhooks-helpers.js';

/** `snagsync sources webhook SOURCE [--rotate] [--enable|--disable] [--json]`, spawned as a user runs it. */

let home: { dir: string; cleanup: () => void };
let data: { dir: string; cleanup: () => void };
beforeEach(() => {
  home = tempDir('snagsync-webhook-cli-');
  data = tempDir('snagsync-webhook-cli-data-');
});
afterEach(() => {
  home.cleanup();
  data.cleanup();
});

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

  it('--enable and --disable together are refused', async () => {
    const rt = openRuntime({ home: home.dir, env: {} });
    const src = await webhookSource(rt, data.dir);
    await rt.close();
    const r = await cli(['sources', 'webhook', src.sourceId, '--enable', '--disable']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot be used with/);
  });
});
