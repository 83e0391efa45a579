import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * The same mistake gets the same answer on every command: a missing required option or argument is a usage error,
 * exit 2 (docs/exit-codes.md). The compiled CLI (`npm run build` first).
 */
const home = tempDir('snagsync-cli-consistency-');
const env = { SNAGSYNC_HOME: home.dir, SNAGSYNC_MASTER_KEY: '' };

afterAll(() => home.cleanup());

describe('a missing required option exits 2 on every command', () => {
  const cases: string[][] = [
    ['sources', 'create'],
    ['sources', 'create', '--name', 'x'],
    ['credentials', 'add'],
    ['sync'],
    ['writeback', 'plan'],
    ['writeback', 'plan', '--credential', 'x'],
    ['runs', 'show'],
    ['sources', 'show'],
  ];
  for (const args of cases) {
    it(`snagsync ${args.join(' ')}`, async () => {
      const r = await runCli(args, { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/required|missing/);
    });
  }
});
