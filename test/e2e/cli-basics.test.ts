import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { VERSION } from '../../src/core/version.js';

describe('snagsync CLI basics', () => {
  it('prints help with exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: snagsync');
  });

  it('prints its version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('rejects an unknown command with the usage exit code', async () => {
    const r = await runCli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
  });
});
