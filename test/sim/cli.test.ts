import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';

/** `snagsync sim` as a user runs it: the compiled CLI (npm test builds it first). */
describe('snagsync sim', () => {
  it('--json prints one line with the URL and tokens, serves /user/organizations, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'sim', '--json', '--port', '0', '--seed', '5', '--edr-prepare-ms', '0', '--edr-max-events', '10'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error(`sim exited before printing its URL: ${stderr}`)));
      });
      const info = JSON.parse(first) as {
        url: string;
        tokens: Array<{ token: string; user: string; organizations: string[]; admin: boolean }>;
      };
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.tokens.length).toBeGreaterThanOrEqual(3);
      const admin = info.tokens.find((t) => t.admin)!;
      expect(admin.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const r = await fetch(`${info.url}/user/organizations`, {
        headers: { Authorization: `token ${admin.token}`, 'X-Version': '2' },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('30');
      const orgs = (await r.json()) as Array<{ id: string }>;
      expect(orgs.map((o) => o.id)).toEqual(admin.organizations);
      // The event data request flags reach the simulator: 10 events at most per request, ready on the first GET.
      const projects = (await (
        await fetch(`${info.url}/organizations/${orgs[0]!.id}/projects`, {
          headers: { Authorization: `token ${admin.token}` },
        })
      ).json()) as Array<{ id: string }>;
      const edr = (path: string, body?: unknown) =>
        fetch(`${info.url}/projects/${projects[0]!.id}/event_data_requests${path}`, {
          method: body ? 'POST' : 'GET',
          headers: { Authorization: `token ${admin.token}`, 'Content-Type': 'application/json' },
          body: body ? JSON.stringify(body) : undefined,
        });
      const tooMany = await edr('', { filters: {} });
      expect(tooMany.status).toBe(400);
      expect(await tooMany.text()).toContain('more than the maximum of 10');
      const created = (await (await edr('', { filters: { 'event.since': [{ type: 'eq', value: '1h' }] } })).json()) as {
        id: string;
        status: string;
      };
      expect(created.status).toBe('PREPARING');
      expect(((await (await edr(`/${created.id}`)).json()) as { status: string }).status).toBe('COMPLETED');
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      lines.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects bad option values as invalid input (exit 3), naming the option', async () => {
    const bad = await runCli(['sim', '--faults', 'explode:1']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--faults');
    const notNumber = await runCli(['sim', '--events', 'many']);
    expect(notNumber.code).toBe(3);
    expect(notNumber.stderr).toContain('--events');
    const prepare = await runCli(['sim', '--edr-prepare-ms', 'soon']);
    expect(prepare.code).toBe(3);
    expect(prepare.stderr).toContain('--edr-prepare-ms');
    const max = await runCli(['sim', '--edr-max-events', '0']);
    expect(max.code).toBe(3);
    expect(max.stderr).toContain('--edr-max-events');
  });
});
