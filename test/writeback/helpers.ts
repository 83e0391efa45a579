import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator, SimToken } from '../../src/sim/index.js';

/** Reads straight from the simulator (its own data, not through snagsync's client). */
export async function simGet(
  sim: Simulator,
  path: string,
  role: SimToken['role'] = 'admin',
): Promise<{ status: number; body: unknown; next: string | null }> {
  const token = sim.tokens.find((t) => t.role === role)!.token;
  const res = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
    headers: { Authorization: `token ${token}`, 'X-Version': '2' },
  });
  const link = res.headers.get('link');
  const next = link ? (/<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? null) : null;
  return { status: res.status, body: await res.json().catch(() => null), next };
}

export type SimError = {
  id: string;
  status: string;
  severity: string;
  discarded: boolean;
  assigned_collaborator_id: string | null;
  assigned_team_id: string | null;
  reopen_rules: Record<string, unknown> | null;
  linked_issues: Array<{ url: string }>;
};

export async function simErrorIds(sim: Simulator, projectId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  let url: string | null = `/projects/${projectId}/errors?per_page=100&sort=unsorted`;
  while (url && ids.length < n) {
    const page = await simGet(sim, url);
    ids.push(...(page.body as Array<{ id: string }>).map((e) => e.id));
    url = page.next;
  }
  return ids.slice(0, n);
}

export async function simError(sim: Simulator, projectId: string, errorId: string): Promise<SimError> {
  return (await simGet(sim, `/projects/${projectId}/errors/${errorId}`)).body as SimError;
}

export async function simComments(sim: Simulator, projectId: string, errorId: string): Promise<string[]> {
  const out: string[] = [];
  let url: string | null = `/projects/${projectId}/errors/${errorId}/comments?per_page=100`;
  while (url) {
    const page = await simGet(sim, url);
    out.push(...(page.body as Array<{ message: string }>).map((c) => c.message));
    url = page.next;
  }
  return out;
}

/** Requests that change something, as the simulator counted them. */
export function simWrites(sim: Simulator): number {
  return Object.entries(sim.stats().endpoints)
    .filter(([k]) => /^(PATCH|POST|PUT|DELETE) /.test(k))
    .reduce((n, [, v]) => n + v, 0);
}

export function writeJsonl(dir: string, name: string, rows: Array<Record<string, unknown>>): string {
  const path = join(dir, name);
  writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
}

export function projectsOf(sim: Simulator, role: SimToken['role'] = 'admin'): string[] {
  const orgs = sim.tokens.find((t) => t.role === role)!.organizations;
  return sim
    .info()
    .organizations.filter((o) => orgs.includes(o.id))
    .flatMap((o) => o.projects.map((p) => p.id));
}
