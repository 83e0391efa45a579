import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';

/** `snagsync sim` as a user runs it: the compiled CLI (npm test builds it first). */
describe('snagsync sim', () => {
  it('--json prints one line with the URL and tokens, serves /user/organizations, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'sim', '--json', '--port', '0', '--seed', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error(`sim exited before printing its URL: ${stderr}`)));
      });
      const info = JSON.parse(first) as { url: string; tokens: Array<{ token: string; user: string; organizations: string[]; admin: boolean }> };
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.tokens.length).toBeGreaterThanOrEqual(3);
      const admin = info.tokens.find((t) => t.admin)!;
      expect(admin.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const r = await fetch(`${info.url}/user/organizations`, { headers: { Authorization: `token ${admin.token}`, 'X-Version': '2' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('30');
      const orgs = (await r.json()) as Array<{ id: string }>;
      expect(orgs.map((o) => o.id)).toEqual(admin.organizations);
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      lines.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects bad options with the usage exit code', async () => {
    const bad = await runCli(['sim', '--faults', 'explode:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--faults');
    const notNumber = await runCli(['sim', '--events', 'many']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain('--events');
  });
});
