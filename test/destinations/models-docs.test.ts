import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDestination } from '../../src/destinations/index.js';
import { applyModels, VIEWS } from '../../src/destinations/models/index.js';
import { descriptorOf, STREAMS } from '../../src/streams/catalog.js';
import { tempDir } from '../store/helpers.js';
import { requireService } from '../helpers/services.js';
import { insertScenario, postgresSql, type Sql, sqliteSql } from './models-fixture.js';
import { dropSchema, pgDestinationUrl, uniqueSchema } from './pg-schema.js';

/**
 * docs/analytics.md against the views: each view's section lists exactly its columns, in order, and every ```sql
 * example runs unchanged on SQLite and PostgreSQL over a destination with the views applied, returning rows.
 */
const HAS_PG = requireService('postgres');
const DOC = readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
const EXAMPLES = [...DOC.matchAll(/^```sql\n([\s\S]*?)^```/gm)].map((m) => m[1]!.trim());

/** The column names of the table under `## \`view\``, in order. */
function documentedColumns(view: string): string[] {
  const start = DOC.indexOf(`## \`${view}\``);
  if (start < 0) return [];
  const next = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, next < 0 ? undefined : next);
  return [...section.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

describe('docs/analytics.md', () => {
  it.each(VIEWS.map((v) => [v.name, v]))('%s: the columns documented are the view’s', (_name, view) => {
    expect(documentedColumns(view.name)).toEqual(view.columns.map((c) => c.name));
  });

  it('has example queries, each naming a view', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(VIEWS.length);
    for (const view of VIEWS) expect(EXAMPLES.some((q) => q.includes(`FROM ${view.name}`))).toBe(true);
  });
});

type Kind = 'sqlite' | 'postgres';
const KINDS: Kind[] = HAS_PG ? ['sqlite', 'postgres'] : ['sqlite'];
const dir = tempDir('snagsync-models-docs-');
const schemas: string[] = [];

afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
  dir.cleanup();
});

describe.each(KINDS)('the examples on %s', (kind) => {
  let sql: Sql;
  beforeAll(async () => {
    const schema = uniqueSchema('snag_models_docs');
    if (kind === 'postgres') schemas.push(schema);
    const url = kind === 'sqlite' ? `sqlite:${join(dir.dir, 'docs.db')}` : pgDestinationUrl(schema);
    const dest = await openDestination(url);
    await dest.prepare(STREAMS.map(descriptorOf));
    await dest.close();
    sql = kind === 'sqlite' ? sqliteSql(join(dir.dir, 'docs.db')) : await postgresSql(schema);
    await insertScenario(sql);
    expect((await applyModels(url)).views.every((v) => v.status === 'created')).toBe(true);
  });
  afterAll(async () => {
    await sql?.close();
  });

  it.each(EXAMPLES.map((q) => [q.split('\n')[0]!, q]))('%s', async (_title, query) => {
    const rows = await sql.all(query.replace(/;\s*$/, ''));
    expect(rows.length).toBeGreaterThan(0);
  });
});
