import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import {
  defaultDestinationUrl,
  normalizeDestinationUrl,
  openDestination,
  parseDestinationUrl,
} from '../../src/destinations/index.js';

function configError(fn: () => unknown): SnagError {
  try {
    fn();
  } catch (err) {
    expect(isSnagError(err, 'config'), String(err)).toBe(true);
    return err as SnagError;
  }
  throw new Error('expected a config error');
}

describe('destination URLs', () => {
  const cwd = '/work/here';

  it('reads sqlite: and jsonl: with relative, absolute, ~ and URL-style paths', () => {
    expect(parseDestinationUrl('sqlite:./bugsnag.db', { cwd })).toEqual({
      kind: 'sqlite',
      path: '/work/here/bugsnag.db',
    });
    expect(parseDestinationUrl('sqlite:bugsnag.db', { cwd })).toEqual({
      kind: 'sqlite',
      path: '/work/here/bugsnag.db',
    });
    expect(parseDestinationUrl('sqlite:/data/b.db', { cwd })).toEqual({ kind: 'sqlite', path: '/data/b.db' });
    expect(parseDestinationUrl('sqlite:///data/my%20b.db', { cwd })).toEqual({ kind: 'sqlite', path: '/data/my b.db' });
    expect(parseDestinationUrl('SQLITE:~/b.db', { cwd })).toEqual({ kind: 'sqlite', path: join(homedir(), 'b.db') });
    expect(parseDestinationUrl(' jsonl:./out ', { cwd })).toEqual({ kind: 'jsonl', dir: '/work/here/out' });
    expect(parseDestinationUrl('jsonl:../out', { cwd })).toEqual({ kind: 'jsonl', dir: '/work/out' });
    expect(parseDestinationUrl('postgres://u@h/db')).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
      schema: 'bugsnag',
    });
    expect(parseDestinationUrl('postgresql://u@h:5433/db?schema=warehouse_2&sslmode=disable')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u@h:5433/db?schema=warehouse_2&sslmode=disable',
      schema: 'warehouse_2',
    });
  });

  it('normalises to the absolute form stored with a source; the default lives in the home', () => {
    expect(normalizeDestinationUrl('sqlite:./x/../b.db', { cwd })).toBe('sqlite:/work/here/b.db');
    expect(normalizeDestinationUrl('jsonl:out/', { cwd })).toBe('jsonl:/work/here/out');
    expect(normalizeDestinationUrl(' postgres://u@h/db?schema=s ', { cwd })).toBe('postgres://u@h/db?schema=s');
    expect(defaultDestinationUrl('/home/u/.snagsync')).toBe('sqlite:/home/u/.snagsync/bugsnag.db');
  });

  it('refuses anything else with the accepted forms', () => {
    for (const bad of [
      '',
      '   ',
      'mysql://h/db',
      'bugsnag.db',
      'sqlite:',
      'jsonl:',
      'sqlite://host/x.db',
      'http://x',
      'sqlite:a\0b',
    ]) {
      const e = configError(() => parseDestinationUrl(bad, { cwd }));
      expect(e.hint).toContain('sqlite:PATH');
      expect(e.hint).toContain('jsonl:FOLDER');
    }
    expect(configError(() => parseDestinationUrl('bugsnag.db')).message).toContain('Did you mean sqlite:bugsnag.db');
  });

  it('refuses a postgres URL that cannot be read, without showing its password', () => {
    for (const bad of [
      'postgres://u:Secret-pass-1@h:port/db',
      'postgresql://h/db?schema=bad-name',
      'postgres://h/db?schema=a&schema=b',
      'postgres:///db',
    ]) {
      const e = configError(() => parseDestinationUrl(bad));
      expect(e.details.field).toBe('destination');
      expect(e.hint).toContain('postgres://USER@HOST:PORT/DATABASE?schema=NAME');
      expect(JSON.stringify(e.toJSON())).not.toContain('Secret-pass-1');
    }
  });

  it('openDestination refuses bad URLs as config errors', async () => {
    await expect(openDestination('ftp://x')).rejects.toMatchObject({ code: 'config' });
    await expect(openDestination('postgres://h/db?schema=1x')).rejects.toMatchObject({
      code: 'config',
      details: { field: 'destination' },
    });
  });
});
