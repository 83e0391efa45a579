import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { destinationError, openDestination } from '../../src/destinations/index.js';
import { checkDestinationPath, DATA_MODE_ENV, dataModes } from '../../src/destinations/paths.js';
import { parseDestinationUrl } from '../../src/destinations/url.js';
import { createSource } from '../../src/engine/sources.js';
import { openRuntime } from '../../src/runtime.js';
import { storeError } from '../../src/store/sqlite/connection.js';
import { runCli } from '../helpers/cli.js';
import { credentialInput, tempDir } from '../store/helpers.js';
import { EVENTS, pageRecords } from './fixtures.js';

/** Issue 13 items 1–3 and 11: where a destination may live, the modes of what it creates, a home opened to others. */

let t: { dir: string; cleanup: () => void };
let home: string;
beforeEach(() => {
  t = tempDir('snagsync-paths-');
  home = join(t.dir, 'home');
  void openRuntime({ home, env: {} }).close();
});
afterEach(() => {
  delete process.env[DATA_MODE_ENV];
  t.cleanup();
});

async function refusal(fn: () => unknown): Promise<SnagError> {
  try {
    await fn();
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const check = (url: string) => () => checkDestinationPath(parseDestinationUrl(url, { cwd: t.dir }), { home });

describe('refused destinations', () => {
  it.each([
    ['the metadata store', () => `sqlite:${join(home, 'snagsync.db')}`, /metadata store/],
    ['the store through a URL form', () => `sqlite://${join(home, 'snagsync.db')}`, /metadata store/],
    ['the master key', () => `sqlite:${join(home, 'master.key')}`, /master key/],
    ['the home folder itself (JSONL)', () => `jsonl:${home}`, /home folder/],
    ['a system file', () => 'sqlite:/etc/passwd', /system folder/],
    ['a system folder', () => 'jsonl:/etc', /system folder/],
    ['a system library folder', () => 'sqlite:/usr/lib/bugsnag.db', /system folder/],
    ['a device', () => 'sqlite:/dev/null', /kernel/],
    ["the kernel's process files", () => 'sqlite:/proc/self/mem', /kernel/],
    ['the root folder', () => 'jsonl:/', /root folder/],
    ['an in-memory SQLite', () => 'sqlite::memory:', /:memory:/],
  ])('%s, on the destination field, saying why', async (_what, url, why) => {
    const e = await refusal(check(url()));
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(3);
    expect(e.details.field).toBe('destination');
    expect(e.message).toMatch(why);
    expect(e.hint).toBeTruthy();
  });

  it('a symbolic link that leads into the home is followed and refused', async () => {
    const link = join(t.dir, 'innocent.db');
    symlinkSync(join(home, 'snagsync.db'), link);
    expect((await refusal(check(`sqlite:${link}`))).message).toMatch(/metadata store/);
  });

  it('a JSONL folder that is a file, or a SQLite path under a file: a clear message, not EEXIST', async () => {
    const file = join(t.dir, 'plain.txt');
    writeFileSync(file, 'x');
    expect((await refusal(check(`jsonl:${file}`))).message).toMatch(/is a file, not a folder/);
    const e = await refusal(() => openDestination(`sqlite:${join(file, 'sub', 'b.db')}`, { home }));
    expect(e.code).toBe('destination');
    expect(e.details.field).toBe('destination');
    expect(e.message).toContain(`${file} is a file, not a folder`);
    expect(e.message).not.toMatch(/EEXIST|ENOTDIR|mkdir/);
  });

  it('allows the default file in the home, folders of the user, and /usr/local', () => {
    expect(check(`sqlite:${join(home, 'bugsnag.db')}`)).not.toThrow();
    expect(check(`jsonl:${join(home, 'data')}`)).not.toThrow();
    expect(check('sqlite:./rel.db')).not.toThrow();
    expect(check('sqlite:/usr/local/var/bugsnag.db')).not.toThrow();
  });

  it('opening (what a sync does) refuses the store too, and leaves it untouched', async () => {
    const store = join(home, 'snagsync.db');
    const before = statSync(store).size;
    await refusal(() => openDestination(`sqlite:${store}`, { home }));
    expect(statSync(store).size).toBe(before);
  });
});

/** Issue 19 item 2: the store under another name, system directories, and an honest I/O error. */
describe('the store under another name', () => {
  const store = () => join(home, 'snagsync.db');

  it('a hard link to the store is refused (same device and inode), and a sync opening it leaves the store whole', async () => {
    const link = join(t.dir, 'hardlink.db');
    linkSync(store(), link);
    const e = await refusal(check(`sqlite:${link}`));
    expect(e.code).toBe('config');
    expect(e.details).toMatchObject({ field: 'destination', path: link });
    expect(e.message).toContain(`${link} is snagsync's own metadata store (${store()}) under another name`);
    expect(e.message).toMatch(/hard link/);
    expect(e.hint).toContain(`sqlite:${join(home, 'bugsnag.db')}`);

    const before = readFileSync(store());
    const opened = await refusal(() => openDestination(`sqlite:${link}`, { home }));
    expect(opened.message).toMatch(/metadata store .* under another name/);
    expect(readFileSync(store()).equals(before)).toBe(true);
    expect(existsSync(`${link}-wal`)).toBe(false);
    const rt = openRuntime({ home, env: {} });
    expect(await rt.store.credentials.list()).toEqual([]);
    await rt.close();
  });

  it('a symbolic link to a hard link of the store, and a hard link of the master key, are refused', async () => {
    const hard = join(t.dir, 'hard.db');
    linkSync(store(), hard);
    const soft = join(t.dir, 'soft.db');
    symlinkSync(hard, soft);
    expect((await refusal(check(`sqlite:${soft}`))).message).toMatch(/metadata store .* under another name/);
    // The key file is made on the first seal; a stand-in of the same name is enough for the check.
    if (!existsSync(join(home, 'master.key'))) writeFileSync(join(home, 'master.key'), 'key\n', { mode: 0o600 });
    const key = join(t.dir, 'key.db');
    linkSync(join(home, 'master.key'), key);
    expect((await refusal(check(`sqlite:${key}`))).message).toMatch(/master key .* under another name/);
  });

  it("a hard link of the store where SQLite would put the destination's WAL is refused", async () => {
    const path = join(t.dir, 'b.db');
    linkSync(store(), `${path}-wal`);
    const e = await refusal(check(`sqlite:${path}`));
    expect(e.message).toContain(`${path}-wal, beside ${path}, is snagsync's own metadata store`);
  });

  it('a JSONL folder holding a hard link of the store is refused', async () => {
    const dir = join(t.dir, 'out');
    mkdirSync(dir);
    linkSync(store(), join(dir, 'events.jsonl'));
    expect((await refusal(check(`jsonl:${dir}`))).message).toMatch(/metadata store .* under another name/);
  });

  it('names beside the store are its own too (a copy, a rotation file of the key)', async () => {
    expect((await refusal(check(`sqlite:${join(home, 'snagsync.db.bak')}`))).message).toMatch(/metadata store/);
    expect((await refusal(check(`sqlite:${join(home, 'master.key.new-abc')}`))).message).toMatch(/master key/);
  });
});

describe('system directories', () => {
  const checkAs = (url: string, userHome: string) => () =>
    checkDestinationPath(parseDestinationUrl(url, { cwd: t.dir }), { home, userHome });

  it.each([
    ['jsonl:/root', /home folder|superuser/],
    ['sqlite:/var/log/x.db', /under \/var\/log, a system folder/],
    ['jsonl:/var/log/snagsync', /under \/var\/log/],
    ['sqlite:/x.db', /straight into the root folder/],
    ['jsonl:/usr', /straight into \/usr/],
    ['jsonl:/var', /straight into \/var/],
    ['sqlite:/home/x.db', /straight into \/home/],
    ['jsonl:/home/someone', /is a home folder/],
    ['sqlite:/boot/x.db', /under \/boot/],
    ['jsonl:/sys/x', /kernel/],
  ])('%s is refused on the destination field, with a hint, and nothing is created', async (url, why) => {
    const e = await refusal(check(url));
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(3);
    expect(e.details.field).toBe('destination');
    expect(e.message).toMatch(why);
    expect(e.hint).toBeTruthy();
    const target = parseDestinationUrl(url);
    if (target.kind === 'sqlite') expect(existsSync(target.path)).toBe(false);
  });

  it('creating a source with sqlite:/var/log/x.db is refused before anything is saved or created', async () => {
    const rt = openRuntime({ home, env: {} });
    try {
      const c = await rt.store.credentials.create(credentialInput('Prod'));
      const path = `/var/log/snagsync-${basename(t.dir)}.db`;
      const e = await refusal(() => createSource(rt, { name: 'app', credential: c.id, destination: `sqlite:${path}` }));
      expect(e.details.field).toBe('destination');
      expect(e.message).toContain(`${path} is under /var/log, a system folder`);
      expect(await rt.store.sources.list()).toEqual([]);
      expect(existsSync(path)).toBe(false);
    } finally {
      await rt.close();
    }
  });

  it("/root is the superuser's home: refused when it is not yours, a home like any other when it is", async () => {
    const mine = join(t.dir, 'me');
    const e = await refusal(checkAs('sqlite:/root/bugsnag.db', mine));
    expect(e.message).toContain("/root/bugsnag.db is under /root, the superuser's home folder");
    expect(e.hint).toContain(mine);
    expect(checkAs('sqlite:/root/bugsnag.db', '/root')).not.toThrow();
    expect(checkAs('jsonl:/root/bugsnag-data', '/root')).not.toThrow();
    // …but a JSONL destination does not spill its files into a home folder itself, yours or not.
    expect((await refusal(checkAs('jsonl:/root', '/root'))).message).toMatch(/is a home folder/);
    expect((await refusal(checkAs('jsonl:/root', mine))).message).toMatch(/superuser/);
    expect((await refusal(checkAs(`jsonl:${mine}`, mine))).hint).toContain(`jsonl:${join(mine, 'bugsnag-data')}`);
  });

  it('a snagsync home under /root makes /root yours (its default destination lives there)', () => {
    expect(() =>
      checkDestinationPath(parseDestinationUrl('sqlite:/root/.snagsync/bugsnag.db'), {
        home: '/root/.snagsync',
        userHome: join(t.dir, 'me'),
      }),
    ).not.toThrow();
  });

  it('ordinary places are accepted: tmp folders, a file in your home, /usr/local, /var/lib, /srv', async () => {
    const mine = join(t.dir, 'me');
    for (const url of [
      `sqlite:${join(t.dir, 'b.db')}`,
      `jsonl:${join(t.dir, 'data')}`,
      `sqlite:${join(mine, 'bugsnag.db')}`,
      `jsonl:${join(mine, 'bugsnag-data')}`,
      'sqlite:/usr/local/var/bugsnag.db',
      'sqlite:/var/lib/snagsync/bugsnag.db',
      'jsonl:/srv/bugsnag',
      'sqlite:/home/someone/bugsnag.db',
    ]) {
      expect(checkAs(url, mine), url).not.toThrow();
    }
    const d = await openDestination(`sqlite:${join(t.dir, 'ok', 'b.db')}`, { home });
    await d.prepare([EVENTS]);
    await d.writePage('events', pageRecords(0, 3), { sourceId: 'src_1', partition: 'project:p1', state: { n: 1 } });
    await d.close();
  });
});

describe('an I/O error that still happens says what it is, not "a bug"', () => {
  const ioError = () => new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_SHORT_READ');

  it('in the metadata store: the path, the code, what to check', () => {
    const e = storeError(ioError(), join(home, 'snagsync.db'));
    expect(e.code).not.toBe('internal');
    expect(e.message).toContain(join(home, 'snagsync.db'));
    expect(e.message).toContain('SQLITE_IOERR_SHORT_READ');
    expect(e.hint).not.toMatch(/bug/i);
    expect(e.hint).toMatch(/hard link/);
  });

  it('in a destination: the path, and the other name of the file as a cause to check', () => {
    const e = destinationError(ioError(), join(t.dir, 'b.db'));
    expect(e.code).toBe('destination');
    expect(e.message).toContain(join(t.dir, 'b.db'));
    expect(e.hint).not.toMatch(/bug/i);
    expect(e.hint).toMatch(/hard link/);
  });
});

describe('modes of what a destination creates', () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  it('SQLite: the file, its WAL and new folders are owner-only', async () => {
    const path = join(t.dir, 'new', 'deep', 'b.db');
    const d = await openDestination(`sqlite:${path}`, { home });
    await d.prepare([EVENTS]);
    await d.writePage('events', pageRecords(0, 3), { sourceId: 'src_1', partition: 'project:p1', state: { n: 1 } });
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    expect(mode(join(t.dir, 'new'))).toBe(0o700);
    expect(mode(join(t.dir, 'new', 'deep'))).toBe(0o700);
    await d.close();
  });

  it('JSONL: the folder and every file in it are owner-only', async () => {
    const dir = join(t.dir, 'jsonl-out');
    const d = await openDestination(`jsonl:${dir}`, { home });
    await d.prepare([EVENTS]);
    await d.writePage('events', pageRecords(0, 3), { sourceId: 'src_1', partition: 'project:p1', state: { n: 1 } });
    await d.close();
    expect(mode(dir)).toBe(0o700);
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect([f, mode(join(dir, f))]).toEqual([f, 0o600]);
  });

  it('SNAGSYNC_DATA_MODE widens it on purpose, and a bad value is a clear error', async () => {
    expect(dataModes({ [DATA_MODE_ENV]: '0640' })).toEqual({ file: 0o640, dir: 0o750 });
    process.env[DATA_MODE_ENV] = '0640';
    const path = join(t.dir, 'shared', 'b.db');
    const d = await openDestination(`sqlite:${path}`, { home });
    await d.close();
    expect(mode(path)).toBe(0o640);
    expect(mode(join(t.dir, 'shared'))).toBe(0o750);
    const e = await refusal(() => dataModes({ [DATA_MODE_ENV]: 'rw-r--r--' }));
    expect(e.message).toContain('is not a file mode');
  });
});

describe('a home or store opened to other users', () => {
  it('is reported with the chmod that fixes it (and nothing when private)', async () => {
    expect(openRuntime({ home, env: {} }).warnings).toEqual([]);
    chmodSync(home, 0o755);
    chmodSync(join(home, 'snagsync.db'), 0o644);
    const rt = openRuntime({ home, env: {} });
    await rt.close();
    // The home, the store, and the WAL SQLite made after the store's own (now 0644) mode.
    expect(rt.warnings[0]).toContain('mode 0755');
    expect(rt.warnings[0]).toContain(`chmod 700 ${home}`);
    expect(rt.warnings[1]).toContain(`chmod 600 ${join(home, 'snagsync.db')}`);
    expect(rt.warnings.slice(2).every((w) => /snagsync\.db-(wal|shm)/.test(w))).toBe(true);
    chmodSync(home, 0o700);
    const fixed = openRuntime({ home, env: {} });
    await fixed.close();
    expect(fixed.warnings.some((w) => w.includes('chmod 700'))).toBe(false);
    chmodSync(home, 0o755);
    const r = await runCli(['credentials', 'list', '--json'], { env: { SNAGSYNC_HOME: home } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toContain(`warning: The snagsync home ${home} can be read by other users`);
    expect(r.stderr).toContain(`chmod 600 ${join(home, 'snagsync.db')}`);
  });
});
