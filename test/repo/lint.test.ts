import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Biome (biome.jsonc: the formatter in the code's style, the recommended lint rules, and the few the project breaks on
// purpose, each with its reason). The fix for most findings is `npx biome check --write src test bench scripts`.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIOME = join(ROOT, 'node_modules/@biomejs/biome/bin/biome');

function biomeCheck(cwd: string, args: string[]) {
  const r = spawnSync(
    process.execPath,
    [BIOME, 'check', '--error-on-warnings', '--colors=off', '--max-diagnostics=30', ...args],
    {
      cwd,
      encoding: 'utf8',
    },
  );
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('biome check', () => {
  it('finds nothing in src, test, bench and scripts', () => {
    const r = biomeCheck(ROOT, ['src', 'test', 'bench', 'scripts']);
    expect(r.output).not.toContain('configuration resulted in errors');
    expect(r.code, r.output).toBe(0);
  }, 120_000);

  // The same configuration on made-up files: it accepts the project's style and refuses what it should.
  it.each([
    ['the project style', 0, "export const greet = (name: string): string => ['hello', name].join(' ');\n"],
    ['double quotes', 1, 'export const greet = (name: string): string => ["hello", name].join(" ");\n'],
    ['an explicit any', 1, 'export const parse = (text: string): any => JSON.parse(text);\n'],
    ['a debugger statement', 1, 'export function stop(): void {\n  debugger;\n}\n'],
  ])(
    'on %s exits %i',
    (_what, code, text) => {
      const dir = mkdtempSync(join(tmpdir(), 'snagsync-biome-'));
      try {
        copyFileSync(join(ROOT, 'biome.jsonc'), join(dir, 'biome.jsonc'));
        mkdirSync(join(dir, 'src'));
        writeFileSync(join(dir, 'src/example.ts'), text);
        const r = biomeCheck(dir, ['--vcs-enabled=false', 'src']); // not a git checkout
        expect(r.output).not.toContain('configuration resulted in errors');
        expect(r.code, r.output).toBe(code);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
