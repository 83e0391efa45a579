import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayers, entryFiles, readSources } from './layers.js';

// The import rule (README "Architecture"; the table and why runtime sits where it does: test/repo/layers.ts).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRIES = entryFiles(ROOT);

describe('the import rule', () => {
  it('holds for every file in src/', () => {
    const files = readSources(ROOT);
    expect(files.size).toBeGreaterThan(100);
    expect(checkLayers(files, ENTRIES)).toEqual([]);
  });

  it('every package entry is a file of src/', () => {
    expect([...ENTRIES].sort()).toEqual(['client.ts', 'engine.ts', 'index.ts', 'server.ts', 'sim.ts']);
  });

  // The checker itself, on files made up for the purpose: each line must be caught.
  it.each([
    ['store/x.ts', "import { startRun } from '../engine/run.js';", 'store may not import engine'],
    ['sim/x.ts', "import type { Event } from '../bugsnag/models/event.js';", 'sim may not import bugsnag'],
    [
      'streams/x.ts',
      "export { openDestination } from '../destinations/index.js';",
      'streams may not import destinations',
    ],
    ['engine/x.ts', "const m = await import('../server/app.js');", 'engine may not import server'],
    ['server/x.ts', "type C = import('../cli/context.js').CliContext;", 'server may not import cli'],
    ['engine/x.ts', "import '../index.js';", 'engine may not import entry'],
    [
      'core/x.ts',
      "import { z } from 'zod';\nimport type { FastifyInstance } from 'fastify';",
      'the package fastify belongs to server',
    ],
    ['bugsnag/x.ts', "import Database from 'better-sqlite3';", 'the package better-sqlite3 belongs to store'],
    ['engine/x.ts', "import { Command } from 'commander';", 'the package commander belongs to cli'],
    ['queue/x.ts', "import { startRun } from '../engine/run.js';", 'queue may not import engine'],
    ['queue/y.ts', "import Database from 'better-sqlite3';", 'the package better-sqlite3 belongs to store'],
    ['stray.ts', '', 'belongs to no layer'],
  ])('catches %s: %s', (file, text, why) => {
    const found = checkLayers(new Map([[file, text]]), ENTRIES);
    expect(found).toHaveLength(1);
    expect(found[0]!.why).toContain(why);
  });

  it('lets allowed imports through', () => {
    const files = new Map([
      [
        'engine/x.ts',
        "import type { Runtime } from '../runtime.js';\nimport { z } from 'zod';\nimport { readFileSync } from 'node:fs';",
      ],
      ['cli/x.ts', "const { startServer } = await import('../server/start.js');\nimport { Command } from 'commander';"],
      ['server/x.ts', "import fastify from 'fastify';\nimport cookie from '@fastify/cookie';"],
      ['index.ts', "export * from './sim.js';\nexport * from './sim/index.js';"],
    ]);
    expect(checkLayers(files, ENTRIES)).toEqual([]);
  });
});
