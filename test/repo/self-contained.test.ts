import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The repository stands on its own: a clone runs its tests without the reference folder that sits next to it while
 * snagsync is developed. Only `scripts/derive-fixtures.ts` may read that folder (it writes `test/fixtures/`).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCANNED = ['src', 'test', 'bench', 'scripts', 'bin'];
const ALLOWED = new Set(['scripts/derive-fixtures.ts']);
const TEXT = /\.(ts|mts|js|mjs|cjs|json|md|yaml|yml|html|css|svg|txt)$/;

// Written in pieces so that this file does not match itself.
const SIBLING = ['..', 'shared'].join('/');
const FOLDER = new RegExp(
  `(${SIBLING.replace(/\./g, '\\.')}\\b|\\bshared/(bugsnag|protocols|peers|hooks|DESIGN\\.md)\\b)`,
);

/** The line (1-based) and text of every mention of the reference folder in `text`. */
function mentions(text: string): Array<{ line: number; text: string }> {
  return text.split('\n').flatMap((line, i) => (FOLDER.test(line) ? [{ line: i + 1, text: line.trim() }] : []));
}

function files(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(p).isDirectory() ? files(p) : TEXT.test(name) ? [p] : [];
  });
}

const scanned = SCANNED.flatMap((d) => files(join(ROOT, d))).map((p) => relative(ROOT, p).split('\\').join('/'));

describe('no file reads the reference folder outside the repository', () => {
  it('recognises the ways the folder is named', () => {
    for (const sample of [
      `${SIBLING}/bugsnag/API.md`,
      `new URL('../../../${'shared'}/bugsnag/', import.meta.url)`,
      `join(root, '${SIBLING}')`,
      `${'shared'}/protocols/x.yaml`,
    ]) {
      expect(mentions(sample), sample).toHaveLength(1);
    }
    for (const sample of [
      'sharedRateLimiter(token)',
      'shared by every client',
      '{ shared: true }',
      'docs/bugsnag-api.md §3',
    ]) {
      expect(mentions(sample), sample).toEqual([]);
    }
  });

  it('scans the source, tests, benchmarks and scripts', () => {
    expect(scanned).toContain('src/index.ts');
    expect(scanned).toContain('test/repo/self-contained.test.ts');
    expect(scanned).toContain('scripts/derive-fixtures.ts');
    expect(scanned.some((f) => f.startsWith('bench/'))).toBe(true);
  });

  it('only the fixture script names it', () => {
    const found = scanned
      .filter((f) => !ALLOWED.has(f))
      .flatMap((f) => mentions(readFileSync(join(ROOT, f), 'utf8')).map((m) => `${f}:${m.line}: ${m.text}`));
    expect(found).toEqual([]);
    expect(mentions(readFileSync(join(ROOT, 'scripts/derive-fixtures.ts'), 'utf8')).length).toBeGreaterThan(0);
  });
});

describe('what the code cites lives in the repository', () => {
  const CITATION = /\b(docs\/[\w./-]+\.md) §(\d+)((?:, §\d+)*)/g;
  const code = scanned.filter((f) => /\.(ts|mjs|js)$/.test(f) && !f.startsWith('test/fixtures/'));

  it('every "docs/….md §N" names a section that exists', () => {
    const broken: string[] = [];
    let cited = 0;
    for (const f of code) {
      for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(CITATION)) {
        const doc = join(ROOT, m[1]!);
        let headings: string[] = [];
        try {
          headings = readFileSync(doc, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('## '));
        } catch {
          broken.push(`${f}: ${m[1]} does not exist`);
          continue;
        }
        for (const n of [m[2]!, ...[...m[3]!.matchAll(/§(\d+)/g)].map((x) => x[1]!)]) {
          cited++;
          if (!headings.some((h) => h.startsWith(`## ${n}. `))) broken.push(`${f}: ${m[1]} has no section ${n}`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(cited).toBeGreaterThan(20);
  });

  it('nothing cites the reference notes that stayed outside the repository', () => {
    const outside = /(?<![\w/-])API\.md\b/;
    const found = code
      .filter((f) => f !== 'test/repo/self-contained.test.ts')
      .flatMap((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .flatMap((l, i) => (outside.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])),
      );
    expect(found).toEqual([]);
  });
});
