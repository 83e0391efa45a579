import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBugsnagClient, type BugsnagClient } from '../../src/bugsnag/client.js';
import { findNextLink } from '../../src/http/link.js';
import { RateLimiter } from '../../src/http/rate-limiter.js';
import { defineModel } from '../../src/bugsnag/models/common.js';
import {
  Collaborator,
  CollaboratorSchema,
  Comment,
  Event,
  Organization,
  Project,
  Release,
} from '../../src/bugsnag/models/index.js';
import type { Page, Paginator } from '../../src/bugsnag/paginator.js';
import { fakeClock, testToken } from '../http/helpers/scripted.js';
import { header, loadExchanges, type Exchange } from './helpers/cassettes.js';
import { matchKey, ReplayServer } from './helpers/replay-server.js';

/**
 * Replays every recorded exchange of Bugsnag's own Ruby client test suite (real 2017 and 2021 answers) through the
 * client over a real local HTTP server: each body must parse with the models, and each recorded Link must be
 * followed exactly as given.
 */
const exchanges = loadExchanges();

const Root = defineModel('the API root', z.looseObject({ organizations_url: z.string() }));
const Collaborators = defineModel('collaborators', z.array(CollaboratorSchema));

type Result = { kind: 'one'; value: unknown } | { kind: 'pages'; pages: Array<Page<unknown>> };
type Route = (c: BugsnagClient, m: string[], q: URLSearchParams, body: unknown) => Promise<Result>;

const one = async (p: Promise<unknown>): Promise<Result> => ({ kind: 'one', value: await p });
const pages = async (p: Paginator<unknown>): Promise<Result> => {
  const out: Array<Page<unknown>> = [];
  for await (const page of p.pages()) out.push(page);
  return { kind: 'pages', pages: out };
};
const perPage = (q: URLSearchParams) => (q.has('per_page') ? Number(q.get('per_page')) : undefined);
const trendOptions = (q: URLSearchParams) =>
  q.has('buckets_count')
    ? { bucketsCount: Number(q.get('buckets_count')) }
    : { resolution: q.get('resolution') as '12h' };

/** Each recorded request, mapped to the client call that makes it. Writes without a typed method use request(). */
const ROUTES: Array<[string, RegExp, Route]> = [
  [
    'GET',
    /^\/$/,
    (c, _m, q) => one(c.request({ method: 'GET', path: '/', query: Object.fromEntries(q), model: Root })),
  ],
  ['GET', /^\/user\/organizations$/, (c) => pages(c.organizations.list())],
  ['GET', /^\/organizations\/([^/]+)$/, (c, m) => one(c.organizations.get(m[1]!))],
  [
    'POST',
    /^\/organizations$/,
    (c, _m, _q, b) => one(c.request({ method: 'POST', path: '/organizations', body: b, model: Organization })),
  ],
  [
    'PATCH',
    /^\/organizations\/([^/]+)$/,
    (c, m, _q, b) => one(c.request({ method: 'PATCH', path: `/organizations/${m[1]}`, body: b, model: Organization })),
  ],
  [
    'DELETE',
    /^\/organizations\/([^/]+)$/,
    (c, m) => one(c.request({ method: 'DELETE', path: `/organizations/${m[1]}`, model: Organization })),
  ],
  ['GET', /^\/organizations\/([^/]+)\/projects$/, (c, m) => pages(c.projects.list(m[1]!))],
  [
    'POST',
    /^\/organizations\/([^/]+)\/projects$/,
    (c, m, _q, b) =>
      one(c.request({ method: 'POST', path: `/organizations/${m[1]}/projects`, body: b, model: Project })),
  ],
  ['GET', /^\/projects\/([^/]+)$/, (c, m) => one(c.projects.get(m[1]!))],
  [
    'PATCH',
    /^\/projects\/([^/]+)$/,
    (c, m, _q, b) => one(c.request({ method: 'PATCH', path: `/projects/${m[1]}`, body: b, model: Project })),
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)$/,
    (c, m) => one(c.request({ method: 'DELETE', path: `/projects/${m[1]}`, model: Project })),
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)\/api_key$/,
    (c, m) => one(c.request({ method: 'DELETE', path: `/projects/${m[1]}/api_key`, model: Project })),
  ],
  ['GET', /^\/organizations\/([^/]+)\/collaborators$/, (c, m) => pages(c.collaborators.listForOrganization(m[1]!))],
  [
    'POST',
    /^\/organizations\/([^/]+)\/collaborators$/,
    (c, m, _q, b) =>
      one(c.request({ method: 'POST', path: `/organizations/${m[1]}/collaborators`, body: b, model: Collaborator })),
  ],
  [
    'POST',
    /^\/organizations\/([^/]+)\/collaborators\/bulk_invite$/,
    (c, m, _q, b) =>
      one(
        c.request({
          method: 'POST',
          path: `/organizations/${m[1]}/collaborators/bulk_invite`,
          body: b,
          model: Collaborators,
        }),
      ),
  ],
  [
    'GET',
    /^\/organizations\/([^/]+)\/collaborators\/([^/]+)$/,
    (c, m) => one(c.collaborators.getForOrganization(m[1]!, m[2]!)),
  ],
  [
    'PATCH',
    /^\/organizations\/([^/]+)\/collaborators\/([^/]+)$/,
    (c, m, _q, b) =>
      one(
        c.request({
          method: 'PATCH',
          path: `/organizations/${m[1]}/collaborators/${m[2]}`,
          body: b,
          model: Collaborator,
        }),
      ),
  ],
  [
    'GET',
    /^\/organizations\/([^/]+)\/collaborators\/([^/]+)\/projects$/,
    (c, m) => pages(c.projects.listForCollaborator(m[1]!, m[2]!)),
  ],
  ['GET', /^\/projects\/([^/]+)\/collaborators$/, (c, m) => pages(c.collaborators.listForProject(m[1]!))],
  [
    'POST',
    /^\/projects\/([^/]+)\/errors\/([^/]+)\/comments$/,
    (c, m, _q, b) => one(c.comments.create(m[1]!, m[2]!, (b as { message: string }).message)),
  ],
  ['GET', /^\/projects\/([^/]+)\/errors\/([^/]+)\/comments$/, (c, m) => pages(c.comments.list(m[1]!, m[2]!))],
  ['GET', /^\/comments\/([^/]+)$/, (c, m) => one(c.comments.get(m[1]!))],
  [
    'PATCH',
    /^\/comments\/([^/]+)$/,
    (c, m, _q, b) => one(c.request({ method: 'PATCH', path: `/comments/${m[1]}`, body: b, model: Comment })),
  ],
  ['GET', /^\/projects\/([^/]+)\/errors$/, (c, m) => pages(c.errors.list(m[1]!))],
  ['GET', /^\/projects\/([^/]+)\/errors\/([^/]+)$/, (c, m) => one(c.errors.get(m[1]!, m[2]!))],
  // The Ruby test sent {"severity":"warn","operation":"fix"}; our client validates updates and sends {"operation":"fix"}.
  [
    'PATCH',
    /^\/projects\/([^/]+)\/errors$/,
    (c, m, q, b) =>
      one(c.errors.bulkUpdate(m[1]!, q.getAll('error_ids'), { operation: (b as { operation: 'fix' }).operation })),
  ],
  ['GET', /^\/projects\/([^/]+)\/events$/, (c, m) => pages(c.events.list(m[1]!))],
  ['GET', /^\/projects\/([^/]+)\/events\/([^/]+)$/, (c, m) => one(c.events.get(m[1]!, m[2]!))],
  ['GET', /^\/projects\/([^/]+)\/errors\/([^/]+)\/events$/, (c, m) => pages(c.events.listForError(m[1]!, m[2]!))],
  ['GET', /^\/errors\/([^/]+)\/latest_event$/, (c, m) => one(c.events.latest(m[1]!))],
  [
    'GET',
    /^\/projects\/([^/]+)\/releases$/,
    (c, m, q) =>
      pages(
        c.releases.list(m[1]!, {
          ...(q.has('base') ? { base: q.get('base')! } : {}),
          ...(q.has('release_stage') ? { releaseStage: q.get('release_stage')! } : {}),
          ...(q.has('sort') ? { sort: q.get('sort') as 'percent_of_sessions' } : {}),
          perPage: perPage(q),
        }),
      ),
  ],
  ['GET', /^\/projects\/([^/]+)\/releases\/([^/]+)$/, (c, m) => one(c.releases.get(m[1]!, m[2]!))],
  [
    'GET',
    /^\/release_groups\/([^/]+)\/releases$/,
    (c, m, q) => pages(c.releaseGroups.releases(m[1]!, { perPage: perPage(q) })),
  ],
  ['GET', /^\/projects\/([^/]+)\/stability_trend$/, (c, m) => one(c.stability.trend(m[1]!))],
  ['GET', /^\/projects\/([^/]+)\/trend$/, (c, m, q) => one(c.trends.forProject(m[1]!, trendOptions(q)))],
  [
    'GET',
    /^\/projects\/([^/]+)\/errors\/([^/]+)\/trend$/,
    (c, m, q) => one(c.trends.forError(m[1]!, m[2]!, trendOptions(q))),
  ],
];

function routeFor(ex: Exchange): { route: Route; match: string[]; query: URLSearchParams } {
  const url = new URL(ex.pathAndQuery, 'http://x');
  for (const [method, re, route] of ROUTES) {
    const m = method === ex.method ? re.exec(url.pathname) : null;
    if (m) return { route, match: [...m], query: url.searchParams };
  }
  throw new Error(`no client call mapped for ${ex.method} ${ex.pathAndQuery} (${ex.file})`);
}

const server = new ReplayServer();
beforeAll(() => server.start());
afterAll(() => server.stop());

describe('replaying every recorded Bugsnag exchange', () => {
  it('covers all 61 recorded exchanges', () => {
    expect(exchanges).toHaveLength(61);
    for (const ex of exchanges) expect(() => routeFor(ex)).not.toThrow();
  });

  it.each(exchanges.map((ex) => [`${ex.file} #${ex.index}: ${ex.method} ${ex.pathAndQuery}`, ex] as const))(
    '%s',
    async (_name, ex) => {
      const rawLink = header(ex, 'link');
      const recordedNext = rawLink ? findNextLink(new Headers({ link: server.rewrite(rawLink) })) : undefined;
      const nextPathAndQuery = recordedNext ? recordedNext.slice(server.origin.length) : undefined;
      server.serve(ex, nextPathAndQuery);

      const token = testToken();
      const clock = fakeClock();
      const client = createBugsnagClient({
        token,
        host: server.origin,
        clock,
        logger: false,
        rateLimiter: new RateLimiter({ clock }),
        retry: { retries: 0 },
      });
      const { route, match, query } = routeFor(ex);
      const body = ex.requestBody && ex.requestBody !== '{}' ? (JSON.parse(ex.requestBody) as unknown) : undefined;
      const result = await route(client, match, query, body);

      // The recorded exchange was asked for exactly once, with the Bugsnag headers, and never with the token in a URL.
      const hits = server.received.filter(
        (r) => r.method === ex.method && matchKey(r.pathAndQuery) === matchKey(ex.pathAndQuery),
      );
      expect(hits).toHaveLength(1);
      // Nothing else was asked for, except the spec's /trends tried before the recorded /trend.
      const others = server.received.filter(
        (r) => !hits.includes(r) && r.pathAndQuery !== nextPathAndQuery && !/\/trends\?/.test(r.pathAndQuery),
      );
      expect(others).toEqual([]);
      for (const r of server.received) {
        expect(r.headers.authorization).toBe(`token ${token}`);
        expect(r.headers['x-version']).toBe('2');
        expect(r.pathAndQuery).not.toContain(token);
      }

      const recorded: unknown = ex.body ? JSON.parse(server.rewrite(ex.body)) : undefined;
      if (result.kind === 'pages') {
        const [first, ...rest] = result.pages;
        const rows = recorded as Array<Record<string, unknown>>;
        expect(first!.items.map((i) => (i as { id?: unknown }).id)).toEqual(rows.map((r) => r.id));
        expect(first!.url.startsWith(server.origin)).toBe(true);
        const total = header(ex, 'x-total-count');
        expect(first!.totalCount).toBe(total === undefined ? undefined : Number(total));
        if (recordedNext) {
          // The next link was followed exactly as Bugsnag wrote it, and paging stopped at the empty last page.
          expect(first!.nextUrl).toBe(recordedNext);
          expect(server.received.map((r) => `${r.method} ${r.pathAndQuery}`)).toContain(`GET ${nextPathAndQuery}`);
          expect(rest).toHaveLength(1);
          expect(rest[0]).toMatchObject({ url: recordedNext, items: [], index: 1 });
          expect(rest[0]!.nextUrl).toBeUndefined();
        } else {
          expect(first!.nextUrl).toBeUndefined();
          expect(rest).toHaveLength(0);
        }
      } else if (recorded === undefined) {
        expect(result.value).toBeNull();
      } else if (Array.isArray(recorded)) {
        expect((result.value as unknown[]).length).toBe(recorded.length);
      } else {
        const value = result.value as Record<string, unknown>;
        for (const key of Object.keys(recorded as object)) expect(value).toHaveProperty([key]);
        if ('id' in (recorded as object)) expect(value.id).toBe((recorded as { id: unknown }).id);
      }
    },
  );

  it('keeps what the recordings spell differently, and normalises it on request', async () => {
    const list = exchanges.find((e) => e.method === 'GET' && /^\/projects\/[^/]+\/events$/.test(e.pathAndQuery))!;
    server.serve(list);
    const clock = fakeClock();
    const client = createBugsnagClient({
      token: testToken(),
      host: server.origin,
      clock,
      logger: false,
      rateLimiter: new RateLimiter({ clock }),
    });
    const first = await client.events.list('BUGSNAG_PROJECT_ID').first();
    // The 2017 list spelled it receivedAt; normalising gives every row received_at in canonical form.
    expect(first.items).toHaveLength(63);
    const normal = first.items.map((e) => Event.normalize(e));
    expect(normal.every((e) => typeof e.received_at === 'string' && e.received_at.endsWith('Z'))).toBe(true);
    expect(first.items[0]!.receivedAt).toBe('2017-12-12T10:58:55.000Z');

    const rel = exchanges.find((e) => /\/releases\/BUGSNAG_RELEASE_ID$/.test(e.pathAndQuery))!;
    server.serve(rel);
    const release = await client.releases.get('BUGSNAG_PROJECT_ID', 'BUGSNAG_RELEASE_ID');
    expect(release.release_time).toBe(JSON.parse(rel.body).release_time);
    expect(Release.normalize(release).release_time).toBe('2021-07-08T14:26:55.000Z');
    expect(client.stats()).toMatchObject({ requests: 2, rateLimitLimit: 30, rateLimitRemaining: 29 });
  });
});
