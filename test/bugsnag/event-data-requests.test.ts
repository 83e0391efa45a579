import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient, type BugsnagClient, type Event } from '../../src/bugsnag/index.js';
import { SnagError } from '../../src/core/errors.js';
import { ALLOW_LINK_LOCAL_ENV, type LookupFunction } from '../../src/http/address-guard.js';
import { nodeStreamTransport, type StreamTransport } from '../../src/http/stream-transport.js';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, start } from '../sim/helpers.js';

/**
 * The client's event data requests against the simulator over a socket: create → waitUntilComplete → readPages,
 * the same events as the list; downloads never carry the token and never touch the rate limiter; refused and cut
 * downloads become clear errors.
 */
let sim: Simulator;
let client: BugsnagClient;
let project: string;
let org: string;

beforeAll(async () => {
  sim = await start({ seed: 21, anchor: ANCHOR, events: 1200, errors: 25, edrPrepareMs: 150, edrMaxEvents: 3000 });
  const admin = sim.tokens.find((t) => t.role === 'admin')!;
  client = createBugsnagClient({
    token: admin.token,
    host: sim.url,
    logger: false,
    retry: { retries: 0, rateLimitRetries: 0 },
  });
  org = admin.organizations[0]!;
  project = sim.info().organizations.find((o) => o.id === org)!.projects[0]!.id;
});
afterAll(() => sim.close());

async function allPages(url: string, pageSize: number): Promise<Event[][]> {
  const pages: Event[][] = [];
  for await (const p of client.eventDataRequests.readPages(url, { pageSize })) pages.push(p);
  return pages;
}

describe('create → wait → read', () => {
  it('reads in pages of N exactly the events the list returns for the same filters', async () => {
    const filters = { 'event.since': '2026-01-13T00:00:00Z', 'event.before': new Date('2026-01-14T12:00:00Z') };
    const created = await client.eventDataRequests.create(project, { filters });
    expect(created).toMatchObject({ status: 'PREPARING', url: null, total: null });
    expect(created.filters).toEqual({
      'event.since': [{ type: 'eq', value: '2026-01-13T00:00:00Z' }],
      'event.before': [{ type: 'eq', value: '2026-01-14T12:00:00Z' }],
    });
    const polls: string[] = [];
    const done = await client.eventDataRequests.waitUntilComplete(project, created.id, {
      initialDelayMs: 10,
      maxDelayMs: 40,
      onPoll: (r) => polls.push(r.status),
    });
    expect(polls.at(-1)).toBe('COMPLETED');
    expect(done.url).toContain('/event_data_downloads/');
    const pages = await allPages(done.url, 50);
    expect(pages.slice(0, -1).every((p) => p.length === 50)).toBe(true);
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
    expect(pages.at(-1)!.length).toBeLessThanOrEqual(50);
    const listed = await client.events
      .list(project, { since: '2026-01-13T00:00:00Z', before: '2026-01-14T12:00:00Z', direction: 'asc' })
      .all();
    expect(pages.flat().map((e) => e.id)).toEqual(listed.map((e) => e.id));
    expect(pages.flat().length).toBe(done.total);
    // Full reports, parsed by the same model as GET /projects/{id}/events/{id}.
    const one = await client.events.get(project, pages[0]![0]!.id);
    expect(pages[0]![0]).toEqual(one);
  });

  it('organization scope, and get() under the same scope', async () => {
    const created = await client.eventDataRequests.create(
      { organizationId: org },
      { filters: { 'event.since': '2026-01-14T20:00:00Z' } },
    );
    const again = await client.eventDataRequests.get({ organizationId: org }, created.id);
    expect(again.id).toBe(created.id);
    await expect(client.eventDataRequests.get(project, created.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it("a request over the maximum is a validation error carrying Bugsnag's message", async () => {
    const err = await client.eventDataRequests.create({ organizationId: org }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnagError);
    expect(err).toMatchObject({ code: 'validation', status: 400 });
    expect(JSON.stringify((err as SnagError).details)).toMatch(/more than the maximum of 3000/);
  });

  it('waiting stops with a clear error on an expired request', async () => {
    const brief = await start({ seed: 21, anchor: ANCHOR, events: 100, edrPrepareMs: 0, edrExpireMs: 1 });
    try {
      const admin = brief.tokens.find((t) => t.role === 'admin')!;
      const c = createBugsnagClient({ token: admin.token, host: brief.url, logger: false });
      const p = brief.info().organizations[0]!.projects[0]!.id;
      const created = await c.eventDataRequests.create(p);
      // Expired 1 ms after completion, which was at creation: poll until the simulator says so (bounded).
      let err: unknown;
      for (let n = 0; n < 50 && !err; n++)
        err = await c.eventDataRequests.waitUntilComplete(p, created.id, { initialDelayMs: 5, timeoutMs: 1 }).then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({ code: 'not_found', details: { expired: true } });
    } finally {
      await brief.close();
    }
  });
});

describe('downloads', () => {
  let url: string;
  beforeAll(async () => {
    const created = await client.eventDataRequests.create(project, {
      filters: { 'event.since': '2026-01-14T00:00:00Z' },
    });
    url = (await client.eventDataRequests.waitUntilComplete(project, created.id, { initialDelayMs: 10 })).url;
  });

  it('never carry the token, and ask for gzip', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const rawHeads: string[] = [];
    const body = gzipSync(JSON.stringify([{ id: 'a1', received_at: '2026-01-01T00:00:00Z' }]));
    const server: Server = createServer((req, res) => {
      seen.push(req.headers);
      rawHeads.push(req.rawHeaders.join('\n'));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const pages = await allPages(`http://127.0.0.1:${port}/export/x.json?sig=1`, 10);
      expect(pages.flat().map((e) => e.id)).toEqual(['a1']);
      const d = await client.eventDataRequests.download(`http://127.0.0.1:${port}/export/x.json?sig=2`);
      d.body.resume();
      await new Promise((r) => d.body.once('end', r));
      expect(d.bytesReceived()).toBe(body.length);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(seen).toHaveLength(2);
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    for (const h of seen) {
      expect(h.authorization).toBeUndefined();
      expect(h['accept-encoding']).toContain('gzip');
    }
    for (const raw of rawHeads) expect(raw).not.toContain(token);
  });

  it("do not use the token's rate limit: they work while it is exhausted and leave the budget untouched", async () => {
    const limited = await start({
      seed: 21,
      anchor: ANCHOR,
      events: 300,
      rateLimit: 3,
      rateWindowMs: 3_600_000,
      edrPrepareMs: 0,
    });
    try {
      const admin = limited.tokens.find((t) => t.role === 'admin')!;
      const c = createBugsnagClient({
        token: admin.token,
        host: limited.url,
        logger: false,
        retry: { retries: 0, rateLimitRetries: 0 },
      });
      const p = limited.info().organizations[0]!.projects[0]!.id;
      const created = await c.eventDataRequests.create(p);
      const done = await c.eventDataRequests.waitUntilComplete(p, created.id, { initialDelayMs: 1 });
      const before = { state: c.rateLimitState(), requests: c.stats().requests };
      expect(before.state.remaining).toBe(1);
      for (let n = 0; n < 3; n++) {
        let rows = 0;
        for await (const page of c.eventDataRequests.readPages(done.url, { pageSize: 100 })) rows += page.length;
        expect(rows).toBe(done.total);
      }
      expect(c.rateLimitState()).toEqual(before.state);
      expect(c.stats().requests).toBe(before.requests);
      expect(limited.stats().rateLimited).toBe(0);
    } finally {
      await limited.close();
    }
  });

  it('report progress in records and wire bytes', async () => {
    const seen: Array<{ records: number; bytes: number }> = [];
    for await (const _ of client.eventDataRequests.readPages(url, { pageSize: 5, onProgress: (p) => seen.push(p) }))
      void _;
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.map((s) => s.records)).toEqual([...seen.map((s) => s.records)].sort((a, b) => a - b));
    expect(seen.at(-1)!.bytes).toBeGreaterThan(0);
  });

  it('a refused link is a forbidden error without the signature in it', async () => {
    const tampered = url.replace(/signature=[0-9a-f]/, 'signature=z');
    const err = (await allPages(tampered, 10).catch((e: unknown) => e)) as SnagError;
    expect(err).toBeInstanceOf(SnagError);
    expect(err).toMatchObject({ code: 'forbidden', status: 403, details: { downloadRefused: true } });
    const sig = new URL(url).searchParams.get('signature')!;
    expect(JSON.stringify(err) + err.message + (err.hint ?? '')).not.toContain(sig.slice(1));
  });

  it('a connection cut mid-body, or a body cut short, is an error that says how many records arrived', async () => {
    try {
      for (const [fault, code] of [
        ['reset', 'network'],
        ['truncate', 'server_error'],
      ] as const) {
        sim.setFaults(`${fault}:1~/event_data_downloads`);
        let rows = 0;
        const err = await (async () => {
          for await (const page of client.eventDataRequests.readPages(url, { pageSize: 10 })) rows += page.length;
        })().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, fault).toBeInstanceOf(SnagError);
        expect(err, fault).toMatchObject({ code, details: { incomplete: true } });
        expect((err as SnagError).details.records).toBe(rows);
      }
    } finally {
      sim.setFaults('');
    }
  });

  it('refuse links that are not http(s) or that carry a token', async () => {
    await expect(client.eventDataRequests.download('file:///etc/passwd')).rejects.toMatchObject({ code: 'config' });
    await expect(client.eventDataRequests.download(`${sim.url}/x.json?auth_token=abc`)).rejects.toMatchObject({
      code: 'config',
    });
  });
});

describe('download links and the address guard', () => {
  // The link comes in the API's answer: a hostile API host could aim it at the machine's metadata service.
  // Nothing here connects anywhere but loopback: refusals come before the transport, or from a scripted resolver.
  const token = () => sim.tokens.find((t) => t.role === 'admin')!.token;

  /** A stream transport that records what it is asked and never connects: a refusal must come before it. */
  function neverConnects(): { asked: string[]; transport: StreamTransport } {
    const asked: string[] = [];
    return {
      asked,
      transport: (req) => {
        asked.push(req.url);
        return Promise.reject(new Error('the transport was asked to connect'));
      },
    };
  }

  /** Answers every name with `address`, recording the names asked. */
  function scriptedResolver(address: string, asked: string[]): LookupFunction {
    return (hostname, options, callback) => {
      asked.push(hostname);
      const family = address.includes(':') ? 6 : 4;
      if ((options as { all?: boolean }).all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
  }

  const clientWith = (streamTransport: StreamTransport) =>
    createBugsnagClient({ token: token(), host: sim.url, logger: false, streamTransport });

  it.each([
    [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      /cloud metadata service \(169\.254\.169\.254\)/,
    ],
    ['https://[64:ff9b::a9fe:a9fe]/export.json?sig=1', /NAT64/],
    ['http://[::a9fe:a9fe]/export.json', /IPv4-compatible/],
    ['http://[::ffff:169.254.169.254]/export.json', /IPv4-mapped/],
    ['http://[2002:a9fe:a9fe::1]/export.json', /6to4/],
    ['http://169.254.10.20:8080/export.json', /link-local IPv4/],
    ['http://[fe80::1]/export.json', /link-local IPv6/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata\.google\.internal/],
  ])('%s is refused as written, before the transport is asked', async (link, reason) => {
    const { asked, transport } = neverConnects();
    const c = clientWith(transport);
    for (const attempt of [
      () => c.eventDataRequests.download(link),
      () => c.eventDataRequests.readPages(link).next(),
    ]) {
      const err = (await attempt().catch((e: unknown) => e)) as SnagError;
      expect(err).toBeInstanceOf(SnagError);
      expect(err.code).toBe('config');
      expect(err.message).toMatch(/^Refused to download the event data export from /);
      expect(err.message).toMatch(reason);
      expect(err.details).toMatchObject({ errorCode: 'ELINKLOCAL' });
      expect(err.hint).toContain(ALLOW_LINK_LOCAL_ENV);
      expect(err.message + JSON.stringify(err.details)).not.toContain('sig=');
    }
    expect(asked).toEqual([]);
  });

  it('a name that resolves to a link-local address is refused by the transport, before any connection', async () => {
    const names: string[] = [];
    // fe80::1 has no interface here: even without the guard, the kernel would refuse to connect to it (EINVAL).
    const c = clientWith(nodeStreamTransport({ resolve: scriptedResolver('fe80::1', names) }));
    const err = (await c.eventDataRequests
      .download('http://exports.bugsnag.example:8080/e.json?sig=1')
      .catch((e: unknown) => e)) as SnagError;
    expect(names).toEqual(['exports.bugsnag.example']);
    expect(err).toBeInstanceOf(SnagError);
    expect(err.code).toBe('config');
    expect(err.message).toBe(
      'Refused to download the event data export from http://exports.bugsnag.example:8080/e.json (it resolves to fe80::1): that is a link-local IPv6 address (fe80::/10), never where Bugsnag serves exports.',
    );
    expect(err.details).toMatchObject({ errorCode: 'ELINKLOCAL', resolvedTo: 'fe80::1' });
  });

  it("a name that resolves to loopback downloads the simulator's export through the same guard", async () => {
    const created = await client.eventDataRequests.create(project, {
      filters: { 'event.since': '2026-01-14T12:00:00Z' },
    });
    const done = await client.eventDataRequests.waitUntilComplete(project, created.id, { initialDelayMs: 10 });
    const named = new URL(done.url);
    named.hostname = 'exports.sim.example';
    const names: string[] = [];
    const c = clientWith(nodeStreamTransport({ resolve: scriptedResolver('127.0.0.1', names) }));
    let rows = 0;
    for await (const page of c.eventDataRequests.readPages(named.toString(), { pageSize: 100 })) rows += page.length;
    expect(rows).toBe(done.total);
    expect(names).toContain('exports.sim.example');
  });

  it(`with ${ALLOW_LINK_LOCAL_ENV}=1 such a link is handed to the transport (the opt-in)`, async () => {
    const { asked, transport } = neverConnects();
    process.env[ALLOW_LINK_LOCAL_ENV] = '1';
    try {
      const err = await clientWith(transport)
        .eventDataRequests.download('http://169.254.169.254/export.json')
        .catch((e: unknown) => e);
      expect(String((err as Error).message)).toContain('the transport was asked to connect');
    } finally {
      delete process.env[ALLOW_LINK_LOCAL_ENV];
    }
    expect(asked).toEqual(['http://169.254.169.254/export.json']);
  });
});
