import type { Simulator, SimToken } from '../../src/sim/index.js';
import { openDestination } from '../../src/destinations/index.js';

/**
 * What the simulator serves, walked independently of snagsync's client and engine: plain fetch, the Link header
 * parsed by hand, no rate limiter, no retries. Tests compare a destination with this.
 */
type Row = Record<string, unknown>;

async function walk(sim: Simulator, token: string, path: string): Promise<Row[]> {
  const out: Row[] = [];
  let url: string | null = `${sim.url}${path}`;
  while (url) {
    const res: Response = await fetch(url, { headers: { Authorization: `token ${token}`, 'X-Version': '2' } });
    if (res.status === 429) {
      // A simulator with a rate limit: come back when it says.
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
      continue;
    }
    if (res.status === 204) return out;
    if (res.status !== 200) throw new Error(`truth walk: ${res.status} for ${url}: ${await res.text()}`);
    out.push(...((await res.json()) as Row[]));
    const link = res.headers.get('link');
    const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link) : null;
    url = m ? m[1]! : null;
  }
  return out;
}

export interface Truth {
  organizations: string[];
  projects: string[];
  /** `project_id|id` → record, per stream. */
  events: Map<string, Row>;
  errors: Map<string, Row>;
  releases: Map<string, Row>;
  comments: Map<string, Row>;
}

export async function simTruth(
  sim: Simulator,
  role: SimToken['role'] = 'admin',
  opts: { comments?: boolean; organizations?: readonly string[] } = {},
): Promise<Truth> {
  const token = sim.tokens.find((t) => t.role === role)!.token;
  const orgs = (await walk(sim, token, '/user/organizations?per_page=100')).filter(
    (o) => !opts.organizations || opts.organizations.includes(o.id as string),
  );
  const projects: Row[] = [];
  for (const o of orgs)
    projects.push(...(await walk(sim, token, `/organizations/${o.id as string}/projects?per_page=100`)));
  const t: Truth = {
    organizations: orgs.map((o) => o.id as string),
    projects: projects.map((p) => p.id as string),
    events: new Map(),
    errors: new Map(),
    releases: new Map(),
    comments: new Map(),
  };
  for (const p of projects) {
    const pid = p.id as string;
    for (const e of await walk(sim, token, `/projects/${pid}/events?per_page=30`))
      t.events.set(`${pid}|${e.id as string}`, e);
    // Unsorted: a sorted walk stops at 1000 rows (422).
    for (const e of await walk(sim, token, `/projects/${pid}/errors?per_page=100&sort=unsorted`)) {
      t.errors.set(`${pid}|${e.id as string}`, e);
      if (opts.comments && (e.comment_count as number) > 0) {
        for (const c of await walk(sim, token, `/projects/${pid}/errors/${e.id as string}/comments`))
          t.comments.set(`${pid}|${e.id as string}|${c.id as string}`, c);
      }
    }
    for (const r of await walk(sim, token, `/projects/${pid}/releases?per_page=10`))
      t.releases.set(`${pid}|${r.id as string}`, r);
  }
  return t;
}

/** The destination's records of a stream, keyed like the truth; `lines` counts every stored line (JSONL) or row. */
export async function stored(
  destinationUrl: string,
  stream: string,
  key: (r: Row) => string,
): Promise<{ byKey: Map<string, Row>; rows: number }> {
  const dest = await openDestination(destinationUrl, { readOnly: true });
  try {
    const rows = await dest.listRecords(stream);
    const byKey = new Map<string, Row>();
    for (const r of rows) byKey.set(key(r), r);
    return { byKey, rows: await dest.countRecords(stream) };
  } finally {
    await dest.close();
  }
}

export const keyOf = {
  events: (r: Row) => `${r.project_id as string}|${r.id as string}`,
  errors: (r: Row) => `${r.project_id as string}|${r.id as string}`,
  releases: (r: Row) => `${r.project_id as string}|${r.id as string}`,
  comments: (r: Row) => `${r.project_id as string}|${r.error_id as string}|${r.id as string}`,
};

/** Keys in one map and not the other, both ways (empty arrays when equal). */
export function diffKeys(
  expected: Map<string, unknown>,
  actual: Map<string, unknown>,
): { missing: string[]; extra: string[] } {
  return {
    missing: [...expected.keys()].filter((k) => !actual.has(k)),
    extra: [...actual.keys()].filter((k) => !expected.has(k)),
  };
}

/** JSONL: how many lines a stream's file holds (a duplicate would be a second line for a key). */
export async function jsonlLines(dir: string, stream: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`${dir}/${stream}.jsonl`, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim() !== '').length;
}
