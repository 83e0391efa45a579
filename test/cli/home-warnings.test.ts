import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * A home and a metadata store other users can read: the spawned CLI warns at start-up, once for the home and once for
 * the store (its -wal and -shm files named in the same warning, not warned about again), and `serve` the same.
 */

let t: ReturnType<typeof tempDir>;
let home: string;
beforeEach(async () => {
  t = tempDir('snagsync-home-warnings-');
  home = join(t.dir, 'home');
  const first = await runCli(['credentials', 'list', '--json'], { env: { SNAGSYNC_HOME: home } });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).not.toContain('warning');
  chmodSync(home, 0o755);
  chmodSync(join(home, 'snagsync.db'), 0o644);
});
afterEach(() => {
  t.cleanup();
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

function expectEachOnce(stderr: string): void {
  const db = join(home, 'snagsync.db');
  const warnings = stderr.split('\n').filter((l) => l.startsWith('snagsync: warning: '));
  expect(warnings, stderr).toHaveLength(2);
  expect(count(stderr, `The snagsync home ${home} can be read by other users (mode 0755)`)).toBe(1);
  expect(count(stderr, `chmod 700 ${home}`)).toBe(1);
  expect(count(stderr, 'The metadata store')).toBe(1);
  // The store's warning names its files, with the one command that fixes them all.
  expect(warnings[1]).toContain(`The metadata store ${db}`);
  expect(warnings[1]).toContain('(mode 0644)');
  expect(warnings[1]).toMatch(new RegExp(`Fix: chmod 600 ${db}( ${db}-(wal|shm))*$`));
}

describe('a home other users can read', () => {
  it('a command warns once for the home and once for the store', async () => {
    const r = await runCli(['credentials', 'list', '--json'], { env: { SNAGSYNC_HOME: home } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expectEachOnce(r.stderr);
  });

  it('serve warns the same, once, at start-up', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--no-scheduler'], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        SNAGSYNC_HOME: home,
        SNAGSYNC_SERVER_KEY: 'home-warnings-key-0123456789abcdef',
        SNAGSYNC_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Listening (its JSON line on stdout) means start-up is over: every start-up warning has been written.
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve();
      });
      child.on('close', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expectEachOnce(stderr);
  });
});
