import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/long-cli.js';
import { tempDir } from '../store/helpers.js';

/**
 * The same mistake gets the same answer on every command: a missing required option or argument is a usage error,
 * exit 2 (docs/exit-codes.md). The compiled CLI (`npm run build` first).
 */
const home = tempDir('snagsync-cli-consistency-');
const env = { SNAGSYNC_HOME: home.dir, SNAGSYNC_MASTER_KEY: '' };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ orgs: 1, projects: 1, errors: 3, events: 10, releases: 1, rateLimit: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  home.cleanup();
});

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

describe('sources show', () => {
  it('prints a readable summary; --json the raw configuration', async () => {
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const add = await runCli(['credentials', 'add', '--name', 'sim', '--host', sim.url, '--token-stdin'], {
      env,
      stdin: `${token}\n`,
    });
    expect(add.code, add.stderr).toBe(0);
    const create = await runCli(
      ['sources', 'create', '--name', 'shown', '--credential', 'sim', '--streams', 'errors'],
      {
        env,
      },
    );
    expect(create.code, create.stderr).toBe(0);
    const sync = await runCli(['sync', 'shown'], { env: { ...env, SNAGSYNC_PROGRESS: 'none' } });
    expect(sync.code, sync.stderr).toBe(0);
    // The summary's rows add up to its total: the organizations and projects listed to find partitions have a row.
    const table = sync.stdout.split('\n').filter((l) => /^\S.*\s\d+\s/.test(l) && !/^(STREAM|Run )/.test(l));
    const requests = (l: string) =>
      Number(
        l
          .replace(/^\(discovery\)/, 'discovery')
          .split(/\s+/)
          .filter((c) => /^\d+$/.test(c))
          .at(-1),
      );
    const total = table.find((l) => l.startsWith('total '))!;
    const rows = table.filter((l) => l !== total);
    expect(rows.some((l) => l.startsWith('(discovery)'))).toBe(true);
    expect(rows.reduce((n, l) => n + requests(l), 0)).toBe(requests(total));
    const shown = await runCli(['sources', 'show', 'shown'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^Source "shown"\n/);
    expect(shown.stdout).toMatch(/^ {2}credential +sim \(cred_/m);
    expect(shown.stdout).toMatch(/^ {2}streams +errors$/m);
    expect(shown.stdout).toMatch(/^ {2}errors +1, \d{4}-/m);
    expect(shown.stdout).not.toContain('{');
    expect(shown.stdout.split('\n').length).toBeLessThan(50);
    const json = await runCli(['sources', 'show', 'shown', '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'shown', config: { streams: ['errors'] } });
  });
});

describe('serve', () => {
  it('a first serve prints the key it made once, on stderr, with where it is kept; Ctrl-C exits 0', async () => {
    const own = tempDir('snagsync-serve-key-');
    try {
      const serve = startCli(['serve', '--port', '0', '--no-scheduler'], {
        SNAGSYNC_HOME: own.dir,
        SNAGSYNC_SERVER_KEY: '',
      });
      await serve.waitFor(/Press Ctrl-C to stop/);
      const key = /\n {2}(ssk_\S+)\n/.exec(serve.stderr())?.[1];
      expect(key, serve.stderr()).toBeDefined();
      expect(serve.stderr()).toContain(`kept in ${own.dir}/server.key`);
      expect(serve.stdout()).not.toContain(key!);
      expect(serve.stdout()).toContain(`kept in ${own.dir}/server.key`);
      serve.child.kill('SIGINT');
      expect((await serve.exited).code).toBe(0);
    } finally {
      own.cleanup();
    }
  });
});

describe('schedule daemon --json', () => {
  it('prints JSON lines: the due sync starting, its result, and stopped on SIGINT (exit 0)', async () => {
    const own = tempDir('snagsync-daemon-json-');
    const e = { SNAGSYNC_HOME: own.dir, SNAGSYNC_MASTER_KEY: '' };
    try {
      const token = sim.tokens.find((t) => t.role === 'admin')!.token;
      const add = await runCli(['credentials', 'add', '--name', 'sim', '--host', sim.url, '--token-stdin'], {
        env: e,
        stdin: `${token}\n`,
      });
      expect(add.code, add.stderr).toBe(0);
      const create = await runCli(
        ['sources', 'create', '--name', 'due', '--credential', 'sim', '--streams', 'errors', '--schedule', 'every 1h'],
        { env: e },
      );
      expect(create.code, create.stderr).toBe(0);
      const daemon = startCli(['schedule', 'daemon', '--json', '--tick', '1s'], e);
      await daemon.waitFor(/"event":"result"/);
      daemon.child.kill('SIGINT');
      expect((await daemon.exited).code, daemon.stderr()).toBe(0);
      const lines = daemon
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; source_name?: string; status?: string });
      expect(lines.map((l) => l.event)).toEqual(['start', 'result', 'stopped']);
      expect(lines[1]).toMatchObject({ source_name: 'due', status: 'succeeded' });
    } finally {
      own.cleanup();
    }
  });
});

describe('sources create checks the destination before saving', () => {
  it('refuses an unreachable PostgreSQL server and a path under a file (exit 7), and saves nothing', async () => {
    const own = tempDir('snagsync-dest-check-');
    const e = { SNAGSYNC_HOME: own.dir, SNAGSYNC_MASTER_KEY: '' };
    try {
      const token = sim.tokens.find((t) => t.role === 'admin')!.token;
      const add = await runCli(['credentials', 'add', '--name', 'sim', '--host', sim.url, '--token-stdin'], {
        env: e,
        stdin: `${token}\n`,
      });
      expect(add.code, add.stderr).toBe(0);
      const create = (destination: string) =>
        runCli(['sources', 'create', '--name', 'x', '--credential', 'sim', '--destination', destination], { env: e });
      // Port 9 on loopback: nothing listens there, the connection is refused at once.
      const pg = await create('postgres://postgres@127.0.0.1:9/test?schema=x');
      expect(pg.code, pg.stderr).toBe(7);
      expect(pg.stderr).toMatch(/127\.0\.0\.1/);
      writeFileSync(join(own.dir, 'a-file'), '');
      const underFile = await create(`sqlite:${join(own.dir, 'a-file', 'x.db')}`);
      expect(underFile.code, underFile.stderr).toBe(7);
      expect(underFile.stderr).toContain('is a file, not a folder');
      const list = await runCli(['sources', 'list', '--json'], { env: e });
      expect(JSON.parse(list.stdout)).toEqual([]);
      const ok = await create(`sqlite:${join(own.dir, 'new-folder', 'x.db')}`);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      own.cleanup();
    }
  });
});
