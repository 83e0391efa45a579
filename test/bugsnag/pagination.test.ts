import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import type { Page } from '../../src/bugsnag/paginator.js';
import { API, harness } from '../http/helpers/client.js';
import type { Step } from '../http/helpers/scripted.js';

const P = '5a2fc37fd1befa003981d5b9';
const row = (id: string, extra: Record<string, unknown> = {}) => ({ id, ...extra });
const page = (rows: unknown[], next?: string, headers: Record<string, string> = {}): Step => ({
  status: 200,
  body: rows,
  headers: next ? { Link: `<${next}>; rel="next"`, ...headers } : headers,
});

async function pagesOf<T>(it: AsyncIterable<Page<T>>): Promise<Array<Page<T>>> {
  const out: Array<Page<T>> = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('following Link rel="next" for each style Bugsnag uses (docs/bugsnag-api.md §10)', () => {
  it('keyset offset=<id> (organizations), sorted params carried by the link', async () => {
    const next = `${API}/user/organizations?direction=desc&offset=5a1589f0d1befa47553ffd5f&per_page=30&sort=created_at`;
    const h = harness([page([row('o1'), row('o2')], next), page([row('o3')])]);
    const ids = (await h.client.organizations.list().all()).map((o) => o.id);
    expect(ids).toEqual(['o1', 'o2', 'o3']);
    expect(h.script.lines()).toEqual([`GET ${API}/user/organizations?per_page=100`, `GET ${next}`]);
  });

  it('base + integer offset (errors), filters never added again', async () => {
    const next =
      `${API}/projects/${P}/errors?base=2025-08-29T13%3A11%3A37Z&direction=desc` +
      '&filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open' +
      '&offset=10&per_page=10&sort=users';
    const h = harness([page([row('e1')], next, { 'X-Total-Count': '11' }), page([row('e2')])]);
    const pages = await pagesOf(
      h.client.errors.list(P, { sort: 'users', direction: 'desc', filters: { 'error.status': 'open' } }).pages(),
    );
    expect(h.script.lines()).toEqual([
      `GET ${API}/projects/${P}/errors?sort=users&direction=desc&per_page=100` +
        '&filters%5Berror.status%5D%5B%5D%5Btype%5D=eq&filters%5Berror.status%5D%5B%5D%5Bvalue%5D=open',
      `GET ${next}`,
    ]);
    expect(
      pages.map((p) => ({ ids: p.items.map((i) => i.id), nextUrl: p.nextUrl, total: p.totalCount, index: p.index })),
    ).toEqual([
      { ids: ['e1'], nextUrl: next, total: 11, index: 0 },
      { ids: ['e2'], nextUrl: undefined, total: undefined, index: 1 },
    ]);
  });

  it('base + compound offset[...] (events, the real 2017 link)', async () => {
    const next =
      `${API}/projects/${P}/events?base=2017-12-12T11%3A55%3A26Z&offset%5Bcount%5D=63` +
      '&offset%5Btimestamp%5D=2017-12-12T10%3A58%3A54Z&offset%5Btotal_count%5D=475';
    const h = harness([page([row('ev1', { receivedAt: '2017-12-12T10:58:55.000Z' })], next), page([])]);
    const events = await h.client.events.list(P, { since: '2017-12-01T00:00:00Z' }).all();
    expect(events.map((e) => e.receivedAt)).toEqual(['2017-12-12T10:58:55.000Z']);
    expect(h.script.lines()).toEqual([
      `GET ${API}/projects/${P}/events?per_page=30` +
        '&filters%5Bevent.since%5D%5B%5D%5Btype%5D=eq&filters%5Bevent.since%5D%5B%5D%5Bvalue%5D=2017-12-01T00%3A00%3A00Z',
      `GET ${next}`,
    ]);
  });

  it('numeric offset (releases), including a bare ?offset=5 link', async () => {
    const h = harness([
      page([row('r1')], `${API}/projects/${P}/releases?offset=5`),
      page([row('r2')], `${API}/projects/${P}/releases?offset=10`),
      page([row('r3')]),
    ]);
    await h.client.releases.list(P).all();
    expect(h.script.lines()).toEqual([
      `GET ${API}/projects/${P}/releases?per_page=10`,
      `GET ${API}/projects/${P}/releases?offset=5`,
      `GET ${API}/projects/${P}/releases?offset=10`,
    ]);
  });

  it('page_token (releases in a release group)', async () => {
    const next = `${API}/release_groups/g1/releases?page_token=60a236a0c024ebcf749e8611%7C1625754415284%7C0&per_page=1`;
    const h = harness([page([row('r1')], next), page([row('r2')])]);
    await h.client.releaseGroups.releases('g1', { perPage: 1 }).all();
    expect(h.script.lines()).toEqual([`GET ${API}/release_groups/g1/releases?per_page=1`, `GET ${next}`]);
  });

  it('opaque offset token (teams) and timestamp-like offset (pivot values)', async () => {
    const teamsNext = `${API}/organizations/o1/teams?offset=eyJpZCI6IjEyMyJ9&per_page=100`;
    const valuesNext = `${API}/projects/${P}/pivots/user.email/values?offset=2017-04-12T22:50:04`;
    const h = harness([page([row('t1')], teamsNext), page([]), page([{ events: 3 }], valuesNext), page([])]);
    await h.client.teams.list('o1').all();
    await h.client.pivots.values(P, 'user.email').all();
    expect(h.script.lines()).toEqual([
      `GET ${API}/organizations/o1/teams?per_page=100`,
      `GET ${teamsNext}`,
      `GET ${API}/projects/${P}/pivots/user.email/values?per_page=30`,
      `GET ${valuesNext}`,
    ]);
  });

  it('does not stop on a short or empty page while there is a next link', async () => {
    const h = harness([
      page([row('a')], `${API}/projects/${P}/errors?offset=1&sort=unsorted`),
      page([], `${API}/projects/${P}/errors?offset=2&sort=unsorted`),
      page([row('b')]),
    ]);
    const ids = (await h.client.errors.list(P, { sort: 'unsorted' }).all()).map((e) => e.id);
    expect(ids).toEqual(['a', 'b']);
    expect(h.script.calls).toHaveLength(3);
  });

  it('stops when the Link header has no rel="next" entry, even on a full page', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(`p${i}`));
    const h = harness([
      { status: 200, body: rows, headers: { Link: `<${API}/organizations/o1/projects?offset=x>; rel="prev"` } },
    ]);
    expect(await h.client.projects.list('o1').all()).toHaveLength(100);
    expect(h.script.calls).toHaveLength(1);
  });

  it('stops early when the caller breaks out, without another request', async () => {
    const h = harness([page([row('a'), row('b')], `${API}/projects/${P}/errors?offset=2`), page([row('c')])]);
    const seen: string[] = [];
    for await (const e of h.client.errors.list(P)) {
      seen.push(e.id);
      if (seen.length === 1) break;
    }
    expect(seen).toEqual(['a']);
    expect(h.script.calls).toHaveLength(1);
    expect(h.script.remaining()).toBe(1);
  });

  it('all(max) stops after max items', async () => {
    const h = harness([page([row('a'), row('b')], `${API}/projects/${P}/errors?offset=2`), page([row('c')])]);
    expect((await h.client.errors.list(P).all(2)).map((e) => e.id)).toEqual(['a', 'b']);
    expect(h.script.calls).toHaveLength(1);
  });

  it('resolves a relative next link against the current page', async () => {
    const h = harness([page([row('a')], `/projects/${P}/errors?offset=1`), page([])]);
    const pages = await pagesOf(h.client.errors.list(P).pages());
    expect(pages[0]!.nextUrl).toBe(`${API}/projects/${P}/errors?offset=1`);
    expect(h.script.lines()[1]).toBe(`GET ${API}/projects/${P}/errors?offset=1`);
  });

  it('drops an auth_token parameter from a next link, leaving the rest byte for byte', async () => {
    const h = harness([
      page([row('a')], `${API}/projects/${P}/errors?offset%5Bx%5D=1&auth_token=leaked123456&per_page=5`),
      page([]),
    ]);
    const pages = await pagesOf(h.client.errors.list(P).pages());
    expect(pages[0]!.nextUrl).toBe(`${API}/projects/${P}/errors?offset%5Bx%5D=1&per_page=5`);
    expect(h.script.lines()[1]).not.toContain('leaked123456');
  });
});

describe('refusing bad next links', () => {
  async function refused(steps: Step[]): Promise<{ err: SnagError; calls: number; pages: number }> {
    const h = harness(steps);
    let pages = 0;
    try {
      for await (const _ of h.client.errors.list(P).pages()) pages++;
    } catch (err) {
      expect(err).toBeInstanceOf(SnagError);
      return { err: err as SnagError, calls: h.script.calls.length, pages };
    }
    throw new Error('expected a refusal');
  }

  it('refuses a next link to another origin, before following it', async () => {
    for (const other of [
      'http://api.bugsnag.com/projects/x/errors?offset=1',
      'https://api.bugsnag.com:8443/projects/x/errors?offset=1',
      'https://evil.example/projects/x/errors?offset=1',
      'http://localhost/projects/x/errors?offset=1',
    ]) {
      const { err, calls, pages } = await refused([page([row('a')], other), page([])]);
      expect(err.code).toBe('not_bugsnag');
      expect(err.message).toContain(
        `points to ${new URL(other).origin}, not to the configured API host https://api.bugsnag.com`,
      );
      expect(err.details).toMatchObject({ reason: 'cross-origin-link', linkOrigin: new URL(other).origin });
      expect(calls).toBe(1);
      expect(pages).toBe(0);
    }
  });

  it('detects a link back to a page already read (loop)', async () => {
    const first = `${API}/projects/${P}/errors?per_page=100`;
    const { err, calls } = await refused([
      page([row('a')], `${API}/projects/${P}/errors?offset=1`),
      page([row('b')], first),
    ]);
    expect(err.code).toBe('server_error');
    expect(err.details.reason).toBe('pagination-loop');
    expect(calls).toBe(2);
  });

  it('detects a page linking to itself', async () => {
    const self = `${API}/projects/${P}/errors?offset=1`;
    const { err, calls } = await refused([page([row('a')], self), page([row('b')], self)]);
    expect(err.details.reason).toBe('pagination-loop');
    expect(calls).toBe(2);
  });

  it('refuses a next link that has grown past 8 KB (docs/bugsnag-api.md §10)', async () => {
    const long = `${API}/projects/${P}/events?${'offset%5Bevent_ids%5D%5B%5D=5a2fc37fd1befa003981d5b9&'.repeat(200)}`;
    const { err } = await refused([page([row('a')], long)]);
    expect(err.code).toBe('result_too_large');
    expect(err.details.reason).toBe('next-link-too-long');
  });
});

describe('resuming from a saved next URL', () => {
  it('starts exactly at the saved URL and ignores the other options', async () => {
    const saved = `${API}/projects/${P}/events?base=2017-12-12T11%3A55%3A26Z&offset%5Bcount%5D=63&per_page=30`;
    const h = harness([page([row('ev64')])]);
    const pages = await pagesOf(h.client.events.list(P, { resumeFrom: saved, since: '7d', fullReports: true }).pages());
    expect(h.script.lines()).toEqual([`GET ${saved}`]);
    expect(pages[0]).toMatchObject({ url: saved, index: 0 });
  });

  it('refuses to resume from a URL on another origin', () => {
    const h = harness([]);
    expect(() => h.client.events.list(P, { resumeFrom: 'https://evil.example/projects/p/events?offset=1' })).toThrow(
      /not to the configured API host/,
    );
  });

  it('a page carries everything needed to checkpoint', async () => {
    const next = `${API}/projects/${P}/errors?offset=1`;
    const h = harness([page([row('a')], next, { 'X-Total-Count': '2' })]);
    const first = await h.client.errors.list(P).first();
    expect(first).toEqual({
      items: [expect.objectContaining({ id: 'a' })],
      url: `${API}/projects/${P}/errors?per_page=100`,
      nextUrl: next,
      totalCount: 2,
      index: 0,
    });
    expect(h.script.calls).toHaveLength(1);
  });
});

describe('page sizes', () => {
  it('sends the largest page each list accepts, and never more', async () => {
    const h = harness(Array.from({ length: 8 }, () => page([])));
    await h.client.organizations.list({ perPage: 1000 }).all();
    await h.client.projects.list('o1').all();
    await h.client.errors.list(P, { perPage: 250 }).all();
    await h.client.events.list(P, { perPage: 100 }).all();
    await h.client.events.listForError(P, 'e1', { perPage: 7 }).all();
    await h.client.releases.list(P, { perPage: 100 }).all();
    await h.client.collaborators.listForOrganization('o1').all();
    await h.client.comments.list(P, 'e1', { perPage: 0 }).all();
    const sizes = h.script.calls.map((c) => new URL(c.url).searchParams.get('per_page'));
    expect(sizes).toEqual(['100', '100', '100', '30', '7', '10', '100', '1']);
  });
});
