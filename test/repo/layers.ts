import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The import rule, as data. A layer is a folder of src/ (plus `runtime` — src/runtime.ts — and `entry`, the files
 * package.json exports); each may import only the layers listed for it, and an npm package in PACKAGES only from the
 * layers listed there. Everything counts: `import`, `import type`, `export … from`, `import()` and `import('…').T`.
 *
 *   core ← http ← bugsnag ← credentials / streams ← engine ← server / protocols ← cli
 *   store, destinations, queue, sim → core only (sim shares no code with the client it tests)
 *
 * `runtime` (home + store + vault, opened once per process) sits between credentials/store and the engine: the engine's
 * functions take the opened runtime, and only the faces (cli, server, entries) open one. Chosen over narrow
 * interfaces because the engine uses every part of it (store, vault, home, env) but `close`.
 * Nothing imports `cli` or an entry; only `cli` (its `serve` command) and the entries import `server`; only `cli`
 * (`sim`, `demo`) and the entries import `sim`.
 */
export const LAYERS = {
  core: [],
  http: ['core'],
  bugsnag: ['core', 'http'],
  store: ['core'],
  destinations: ['core'],
  // The job queue port (in-process and pg-boss): work for workers, on core and its driver only.
  queue: ['core'],
  sim: ['core'],
  streams: ['core', 'http', 'bugsnag'],
  credentials: ['core', 'http', 'bugsnag', 'store'],
  runtime: ['core', 'store', 'credentials'],
  engine: ['core', 'http', 'bugsnag', 'store', 'destinations', 'streams', 'credentials', 'runtime', 'queue'],
  // server: the data_sinks API and the Destinations pages plan and apply write-backs.
  server: [
    'core',
    'http',
    'bugsnag',
    'store',
    'destinations',
    'streams',
    'credentials',
    'runtime',
    'engine',
    'writeback',
  ],
  // Write-back: applies changes through the engine's client (the token's shared limiter) and journals them in the store.
  writeback: ['core', 'http', 'bugsnag', 'store', 'credentials', 'runtime', 'engine', 'destinations'],
  // The Airbyte and Singer modes: a face over the engine, like the server; only cli commands run them.
  protocols: ['core', 'http', 'bugsnag', 'store', 'destinations', 'streams', 'credentials', 'runtime', 'engine'],
  cli: [
    'queue',
    'protocols',
    'writeback',
    'core',
    'http',
    'bugsnag',
    'store',
    'destinations',
    'streams',
    'credentials',
    'runtime',
    'engine',
    'server',
    'sim',
  ],
  entry: [
    'core',
    'http',
    'bugsnag',
    'store',
    'destinations',
    'streams',
    'credentials',
    'runtime',
    'engine',
    'server',
    'sim',
  ],
} as const satisfies Record<string, readonly string[]>;

export type Layer = keyof typeof LAYERS;

/** Packages tied to one face or driver; any other package (zod, node:…) may be imported anywhere. */
export const PACKAGES: Record<string, readonly Layer[]> = {
  fastify: ['server'],
  '@fastify/*': ['server'],
  'fastify-type-provider-zod': ['server'],
  commander: ['cli'],
  'cli-progress': ['cli'],
  // Only the logger module requires pino (lazily); the rest take core's Logger type.
  pino: ['core'],
  // server: the Overview reads a SQLite destination's file directly, read-only, for its aggregates.
  // writeback: `--from sqlite:PATH?query=…` runs the user's query on a synced destination file, read-only.
  'better-sqlite3': ['store', 'destinations', 'server', 'writeback'],
  // writeback: `--from postgres://…?query=…` runs the user's query on a synced destination, read-only.
  pg: ['store', 'destinations', 'queue', 'writeback'],
  'pg-boss': ['queue'],
  'pg-copy-streams': ['store', 'destinations'],
};

export interface Violation {
  file: string;
  specifier: string;
  why: string;
}

/** The layer of a file given relative to src/ (`engine/run.ts`), or null when it belongs to none. */
export function layerOf(file: string, entries: ReadonlySet<string>): Layer | null {
  const [top, ...rest] = file.split('/');
  if (rest.length > 0) return top! in LAYERS && top !== 'entry' && top !== 'runtime' ? (top as Layer) : null;
  if (file === 'runtime.ts') return 'runtime';
  return entries.has(file) ? 'entry' : null;
}

/** Every module specifier a file names, with whether it is only for types. */
export function importsOf(fileName: string, text: string): Array<{ specifier: string; typeOnly: boolean }> {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Array<{ specifier: string; typeOnly: boolean }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const packageOf = (specifier: string) => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
};

function packageRule(name: string): readonly Layer[] | undefined {
  return PACKAGES[name] ?? (name.startsWith('@') ? PACKAGES[`${name.split('/')[0]}/*`] : undefined);
}

/** The violations among `files` (paths relative to src/ → their text); `entries` are the exported entry files. */
export function checkLayers(files: ReadonlyMap<string, string>, entries: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file, entries);
    if (from === null) {
      violations.push({
        file,
        specifier: '',
        why: 'belongs to no layer: add its folder to LAYERS in test/repo/layers.ts, or export it as an entry',
      });
      continue;
    }
    for (const { specifier } of importsOf(file, text)) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file), specifier));
        if (target.startsWith('..')) {
          violations.push({ file, specifier, why: 'reaches outside src/' });
          continue;
        }
        const to = layerOf(target.replace(/\.js$/, '.ts'), entries);
        if (to === null || to === from) continue;
        if (!(LAYERS[from] as readonly string[]).includes(to)) {
          violations.push({
            file,
            specifier,
            why: `${from} may not import ${to} (${from} imports ${LAYERS[from].join(', ') || 'nothing'})`,
          });
        }
        continue;
      }
      const allowed = packageRule(packageOf(specifier));
      if (allowed && !allowed.includes(from)) {
        violations.push({
          file,
          specifier,
          why: `the package ${packageOf(specifier)} belongs to ${allowed.join(', ')}, not ${from}`,
        });
      }
    }
  }
  return violations;
}

/** src/**\/*.ts of the repository, relative to src/. */
export function readSources(root: string): Map<string, string> {
  const src = resolve(root, 'src');
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts'))
        files.set(relative(src, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(src);
  return files;
}

/** The src/ files behind package.json's exports (`./dist/client.js` → `client.ts`). */
export function entryFiles(root: string): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { default: string }>;
  };
  const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [] : [t.default]));
  return new Set(
    targets.filter((t) => t.startsWith('./dist/')).map((t) => t.slice('./dist/'.length).replace(/\.js$/, '.ts')),
  );
}
