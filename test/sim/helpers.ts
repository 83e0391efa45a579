import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

/**
 * Test helpers: every test talks to a real simulator over a real socket (port 0). Rate limits default high here so
 * tests that are not about rate limiting never trip over them.
 */
/** A fixed anchor makes data byte-identical across days (the default anchor is the current UTC day). */
export const ANCHOR = '2026-01-15T00:00:00Z';

export function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ rateLimit: 1_000_000, ...opts });
}

export interface Res<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface Api {
  get<T = unknown>(pathOrUrl: string, headers?: Record<string, string>): Promise<Res<T>>;
  send<T = unknown>(method: string, pathOrUrl: string, body?: unknown): Promise<Res<T>>;
}

export function api(sim: Simulator, token: string | null = sim.tokens[0]!.token): Api {
  const call = async <T>(
    method: string,
    pathOrUrl: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Res<T>> => {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${sim.url}${pathOrUrl}`;
    const headers: Record<string, string> = { 'X-Version': '2', 'Content-Type': 'application/json', ...extra };
    if (token) headers.Authorization = `token ${token}`;
    const r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let parsed: unknown;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: r.status, headers: r.headers, text, body: parsed as T };
  };
  return {
    get: (p, h) => call('GET', p, undefined, h),
    send: (m, p, b) => call(m, p, b),
  };
}

/** The `rel="next"` URL of a Link header, parsed the tolerant way docs/bugsnag-api.md §8 asks for. */
export function nextLink(headers: Headers): string | null {
  const link = headers.get('link');
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m) return m[1]!;
  }
  return null;
}

export interface Walk<T> {
  rows: T[];
  pages: number;
  urls: string[];
}

/** Follow next links to the end (with a guard against loops). `onPage` runs between pages (to add data mid-walk). */
export async function walk<T = Record<string, unknown>>(
  client: Api,
  first: string,
  onPage?: (page: number) => Promise<void> | void,
  maxPages = 10_000,
): Promise<Walk<T>> {
  const rows: T[] = [];
  const urls: string[] = [];
  let url: string | null = first;
  while (url) {
    if (urls.length >= maxPages) throw new Error(`walk did not end after ${maxPages} pages`);
    urls.push(url);
    const r: Res<T[]> = await client.get<T[]>(url);
    if (r.status !== 200) throw new Error(`GET ${url} → ${r.status} ${r.text}`);
    if (!Array.isArray(r.body)) throw new Error(`GET ${url} did not answer an array`);
    rows.push(...r.body);
    url = nextLink(r.headers);
    if (url && urls.includes(url)) throw new Error(`next link loops back to ${url}`);
    if (onPage) await onPage(urls.length);
  }
  return { rows, pages: urls.length, urls };
}

export async function firstProject(
  sim: Simulator,
  token = sim.tokens[0]!.token,
): Promise<{ id: string; orgId: string }> {
  const c = api(sim, token);
  const orgs = await c.get<Array<{ id: string }>>('/user/organizations');
  const orgId = orgs.body[0]!.id;
  const projects = await c.get<Array<{ id: string }>>(`/organizations/${orgId}/projects?sort=name&direction=asc`);
  return { id: projects.body[0]!.id, orgId };
}

export function ids(rows: Array<{ id?: unknown }>): string[] {
  return rows.map((r) => String(r.id));
}

export function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const v of values) {
    if (seen.has(v)) dups.push(v);
    seen.add(v);
  }
  return dups;
}
