import { describe, expect, it } from 'vitest';
import { api, ANCHOR, start } from './helpers.js';
import type { Simulator } from '../../src/sim/index.js';

/** Same seed (and anchor) ⇒ byte-identical answers; data is generated lazily, so huge simulators start at once. */
type Row = Record<string, unknown>;

async function snapshot(sim: Simulator): Promise<string[]> {
  const c = api(sim);
  const out: string[] = [];
  const grab = async (path: string) => {
    const r = await c.get(path);
    // Bodies embed the simulator's own origin (absolute URLs), the one thing that differs between two runs.
    out.push(`${path} ${r.status} ${r.headers.get('link') ?? ''} ${r.text}`.split(sim.url).join('<origin>'));
    return r.body as Row[];
  };
  const org = sim.tokens[0]!.organizations[0]!;
  await grab('/user/organizations');
  const projects = await grab(`/organizations/${org}/projects`);
  for (const p of projects) {
    const errors = await grab(`/projects/${String(p.id)}/errors?per_page=100`);
    const events = await grab(`/projects/${String(p.id)}/events?full_reports=true&base=2026-01-20T00:00:00Z`);
    await grab(`/projects/${String(p.id)}/releases?per_page=10`);
    await grab(`/projects/${String(p.id)}/collaborators`);
    await grab(`/projects/${String(p.id)}/pivots`);
    await grab(`/projects/${String(p.id)}/pivots/user.email/values?per_page=5&base=2026-01-20T00:00:00Z`);
    await grab(`/projects/${String(p.id)}/errors?histogram=two_week&per_page=5&base=2026-01-20T00:00:00Z`);
    if (errors[0]) await grab(`/errors/${String(errors[0].id)}/latest_event`);
    if (events[0]) await grab(`/projects/${String(p.id)}/events/${String(events[0].id)}`);
  }
  await grab(`/organizations/${org}/collaborators`);
  await grab(`/organizations/${org}/teams`);
  return out;
}

describe('determinism', () => {
  it('two simulators with the same seed and anchor answer byte for byte the same', async () => {
    const a = await start({ seed: 99, anchor: ANCHOR, events: 500 });
    const b = await start({ seed: 99, anchor: ANCHOR, events: 500 });
    try {
      expect(a.tokens).toEqual(b.tokens);
      expect(await snapshot(a)).toEqual(await snapshot(b));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('another seed gives other ids and tokens; an anchor whole weeks away only moves timestamps', async () => {
    // Daily volume follows the calendar's weekdays, so only an anchor a whole number of weeks away (6 here) keeps the
    // same days of the week under the same events.
    const a = await start({ seed: 1, anchor: ANCHOR, events: 300 });
    const b = await start({ seed: 2, anchor: ANCHOR, events: 300 });
    const c = await start({ seed: 1, anchor: '2026-02-26T00:00:00Z', events: 300 });
    try {
      expect(a.tokens[0]!.token).not.toBe(b.tokens[0]!.token);
      expect(a.tokens[0]!.organizations).not.toEqual(b.tokens[0]!.organizations);
      const first = async (s: Simulator) =>
        (await api(s).get<Row[]>(`/projects/${s.info().organizations[0]!.projects[0]!.id}/events?per_page=1`)).body[0]!;
      const [ea, ec] = [await first(a), await first(c)];
      expect(ea.id).toBe(ec.id);
      expect(Date.parse(String(ec.received_at)) - Date.parse(String(ea.received_at))).toBe(
        Date.parse('2026-02-26T00:00:00Z') - Date.parse(ANCHOR),
      );
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('scale', () => {
  // How fast (start time, pages/s at deep cursors, memory) is measured by bench/sim-scale.ts, not by a timed test.
  it('10 projects × 1,000,000 events start lazily and serve a page near the oldest event directly', async () => {
    const sim = await start({ orgs: 1, projects: 10, events: 1_000_000, errors: 200, seed: 7, anchor: ANCHOR });
    try {
      const c = api(sim);
      const p = sim.info().organizations[0]!.projects[3]!.id;
      const head = await c.get<Row[]>(`/projects/${p}/events`);
      expect(head.headers.get('x-total-count')).toBe('1000000');
      // Jump straight to a cursor near the oldest events: the page is computed, not scanned for.
      const oldest = Date.parse(ANCHOR) - 1_000_000 * 1000;
      const deep = `/projects/${p}/events?base=${ANCHOR}&offset[count]=999000&offset[timestamp]=${new Date(oldest + 30_000 * 1000).toISOString()}&offset[total_count]=1000000`;
      const page = await c.get<Row[]>(deep);
      expect(page.body).toHaveLength(30);
      expect(Date.parse(String(page.body[0]!.received_at))).toBeLessThanOrEqual(oldest + 30_000 * 1000);
      const errors = await c.get(
        `/projects/${p}/errors?per_page=100&filters[event.since][][type]=eq&filters[event.since][][value]=1d`,
      );
      expect(errors.status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
