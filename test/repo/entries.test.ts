import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filesLoadedByImport, packagesOf } from '../helpers/loaded-modules.js';

// The package's entries as a user gets them: package.json's `exports`, resolved by Node from the compiled `dist/`
// (`npm test` builds first). Each import runs in a fresh process, so what one entry loads says nothing of another.

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
};
const ENTRIES = Object.entries(pkg.exports).flatMap(([path, target]) =>
  typeof target === 'string'
    ? []
    : [{ specifier: path === '.' ? pkg.name : `${pkg.name}/${path.slice(2)}`, ...target }],
);

async function namesOf(specifier: string): Promise<string[]> {
  return Object.keys(await import(specifier)).sort();
}

describe('package entries', () => {
  it('are the main entry and the client, engine, sim and server subpaths, each with its types', () => {
    expect(ENTRIES.map((e) => e.specifier)).toEqual([
      'snagsync',
      'snagsync/client',
      'snagsync/engine',
      'snagsync/sim',
      'snagsync/server',
    ]);
    for (const e of ENTRIES) {
      expect(existsSync(new URL(`../../${e.default}`, import.meta.url)), `${e.default}: run npm run build`).toBe(true);
      expect(existsSync(new URL(`../../${e.types}`, import.meta.url)), e.types).toBe(true);
    }
  });

  it('importing the client loads neither Fastify, pino nor better-sqlite3, nor the server, stores, engine or simulator', () => {
    const files = filesLoadedByImport('snagsync/client');
    expect(files).toContain('dist/client.js'); // the check itself sees what it is meant to see
    expect(packagesOf(files)).toEqual(['zod']);
    const areas = [...new Set(files.filter((f) => f.startsWith('dist/')).map((f) => f.split('/')[1]))].sort();
    expect(areas).toEqual(['bugsnag', 'client.js', 'core', 'http']);
  });

  it('the main entry is exactly the four subpaths together', async () => {
    const main = await namesOf('snagsync');
    const union = new Set<string>();
    for (const e of ENTRIES.filter((x) => x.specifier !== 'snagsync'))
      for (const n of await namesOf(e.specifier)) union.add(n);
    expect(main).toEqual([...union].sort());
  });

  it('exports what the README shows, and no store or destination internals', async () => {
    const main = await namesOf('snagsync');
    for (const name of [
      'createBugsnagClient',
      'startSimulator',
      'createCredentialService',
      'createVault',
      'openStore',
      'resolveHome',
      'openRuntime',
      'startRun',
      'previewStream',
    ]) {
      expect(main).toContain(name);
    }
    for (const name of [
      'openSqliteStore',
      'metadataDbPath',
      'nameKey',
      'SqliteDestination',
      'STATE_TABLE',
      'compileStream',
      'sendLinked',
      'WindowState',
    ]) {
      expect(main).not.toContain(name);
    }
  });

  // The public surface changes on purpose only: a name added or removed shows here, in review.
  it('keeps its list of names (update with `npx vitest run test/repo/entries.test.ts -u` when the change is meant)', async () => {
    const surface: Record<string, string[]> = {};
    for (const e of ENTRIES) surface[e.specifier] = await namesOf(e.specifier);
    expect(surface).toMatchSnapshot();
  });
});
