import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LongCli, startCli } from '../helpers/long-cli.js';

/**
 * `snagsync demo --serve`: after the demo's two syncs the simulator and the web UI stay up on the demo's home, the
 * URL and the key printed; Run now works (the credential's simulator is still there); SIGINT stops both, exit 0.
 * The compiled CLI (`npm run build` first).
 */
const parent = mkdtempSync(join(tmpdir(), 'snagsync-demo-serve-'));
let demo: LongCli | undefined;

afterAll(() => {
  demo?.kill();
  rmSync(parent, { recursive: true, force: true });
});

interface DemoJson {
  home: string;
  first_sync: { status: string; totals: { records_written: number } };
  serve: { url: string; login_url: string; key: string; simulator_url: string };
}

describe('snagsync demo --serve', () => {
  it('prints the URL and key, serves the demo home with its simulator up, and stops on SIGINT with exit 0', async () => {
    const env = { SNAGSYNC_HOME: join(parent, 'real-home'), SNAGSYNC_MASTER_KEY: '', SNAGSYNC_SERVER_KEY: '' };
    demo = startCli(['demo', '--serve', '--json', '--home', join(parent, 'demo')], env);
    const line = await demo.waitFor(/^\{.*\}\n/m);
    const out = JSON.parse(line[0]) as DemoJson;
    expect(out.first_sync.status).toBe('succeeded');
    expect(out.first_sync.totals.records_written).toBeGreaterThan(0);
    expect(out.serve.login_url).toBe(`${out.serve.url}/login`);
    expect(out.serve.key).toMatch(/\S{20,}/);

    const auth = { authorization: `Bearer ${out.serve.key}` };
    const login = await fetch(out.serve.login_url);
    expect(login.status).toBe(200);
    const page = await fetch(`${out.serve.url}/sources`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('demo');
    const creds = (await (await fetch(`${out.serve.url}/api/data_credentials`, { headers: auth })).json()) as Array<{
      name: string;
      credentials_non_secure_data: { host: string };
    }>;
    expect(creds.map((c) => [c.name, c.credentials_non_secure_data.host])).toEqual([['demo', out.serve.simulator_url]]);

    // Run now: the simulator the credential names is still up, so a third sync succeeds.
    const started = await fetch(`${out.serve.url}/api/data_sources/demo/runs`, { method: 'POST', headers: auth });
    expect(started.status).toBe(202);
    const { run_id } = (await started.json()) as { run_id: string };
    const events = await fetch(`${out.serve.url}/api/runs/${run_id}/events`, { headers: auth });
    const text = await events.text(); // the event stream ends with the run
    expect(text).toContain('run-done');
    const run = (await (await fetch(`${out.serve.url}/api/runs/${run_id}`, { headers: auth })).json()) as {
      status: string;
    };
    expect(run.status).toBe('succeeded');

    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    expect(exit, demo.stderr()).toEqual({ code: 0, signal: null });
    await expect(fetch(out.serve.url)).rejects.toThrow();
    await expect(fetch(`${out.serve.simulator_url}/__sim`)).rejects.toThrow();
  }, 120_000);
});
