import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOOK = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));

/**
 * Every file a fresh Node process loads to run `node [...args]` from the repository root: what passed through the
 * ESM loader (recorded by a loader hook) and what CommonJS `require` cached. Paths are relative to the repository.
 */
export function loadedFiles(args: string[]): { files: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-loads-'));
  const file = join(dir, 'loads.txt');
  try {
    const r = spawnSync(process.execPath, ['--import', HOOK, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SNAGSYNC_LOADS_FILE: file },
    });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const urls = readFileSync(file, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'));
    return { files: [...new Set(urls.map((u) => fileURLToPath(u).slice(ROOT.length)))], stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Imports `specifier` (resolved from the repository root, so `snagsync/…` uses package.json's exports) in a fresh process. */
export function filesLoadedByImport(specifier: string): string[] {
  const script = [
    "import { createRequire } from 'node:module';",
    `await import(${JSON.stringify(specifier)});`,
    'const cached = Object.keys(createRequire(import.meta.url).cache);',
    'process.stdout.write(JSON.stringify(cached));',
  ].join('\n');
  const { files, stdout } = loadedFiles(['--input-type=module', '-e', script]);
  const required = (JSON.parse(stdout) as string[]).filter((p) => p.startsWith(ROOT)).map((p) => p.slice(ROOT.length));
  return [...new Set([...files, ...required])];
}

/** The npm packages among loaded files (`node_modules/@scope/name/…` → `@scope/name`). */
export function packagesOf(files: string[]): string[] {
  const names = files.flatMap((f) => {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    return m ? [m[1]!] : [];
  });
  return [...new Set(names)].sort();
}
