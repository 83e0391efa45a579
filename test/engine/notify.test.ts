import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startRun } from '../../src/engine/index.js';
import { deliver } from '../../src/engine/notify/send.js';
import { checkNotificationUrl, removeNotification, setNotification } from '../../src/engine/notify/settings.js';
import { SERVER_SCOPE } from '../../src/store/notifications.js';
import { makeHome, startSim, type Home } from './helpers.js';

/**
 * Failure notifications against a loopback receiver: a failed run is told to the source's Slack webhook and to the
 * server's Teams webhook (an Adaptive Card), a recovery too; the URL is stored sealed and shown as a hint only; a
 * receiver that is down, answers 5xx or 404 never changes the run's outcome, and its answer is recorded.
 */

interface Received {
  path: string;
  body: unknown;
}

let sim: Simulator;
let h: Home;
let receiver: Server;
let base: string;
const received: Received[] = [];
/** Status codes to answer with, by path prefix, consumed in order (then 200). */
const script = new Map<string, number[]>();

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 3, events: 5, releases: 1 });
  h = await makeHome(sim);
  receiver = createServer((req, res) => {
    void body(req).then((b) => {
      const path = req.url ?? '';
      received.push({ path, body: b });
      const key = [...script.keys()].find((k) => path.startsWith(k));
      const status = (key ? script.get(key)!.shift() : undefined) ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((ok) => receiver.close(ok));
  await h.cleanup();
  await sim.close();
});

afterEach(async () => {
  sim.setFaults('');
  await removeNotification(h.runtime, SERVER_SCOPE);
});

async function runOnce(sourceId: string) {
  const handle = await startRun(h.runtime, sourceId, { trigger: 'cli' });
  return handle.done;
}

describe('failure notifications', () => {
  it('tell a failure to Slack and Teams, then the recovery; the URL stays sealed', async () => {
    const source = await h.source({ name: 'notified', streams: ['organizations'] });
    const slackUrl = `${base}/slack/services/T0001/B0001/s3cretSlackPart`;
    const teamsUrl = `${base}/teams/workflows/abc/triggers/manual/paths/invoke?sig=s3cretTeamsSig`;
    const slack = await setNotification(h.runtime, source.id, { url: slackUrl, format: 'slack' });
    const teams = await setNotification(h.runtime, SERVER_SCOPE, { url: teamsUrl, format: 'teams' });
    expect(slack).toMatchObject({ scope: 'source', format: 'slack', on_recovery: true });
    expect(slack.url_hint).toBe(`${base}/…Part`);
    expect(teams.url_hint).toBe(`${base}/…sSig`);
    expect(JSON.stringify([slack, teams])).not.toMatch(/s3cret/);
    // Stored sealed: neither URL nor its secret part is in the store's rows.
    const rows = await h.runtime.store.notifications.list();
    expect(rows.map((r) => r.scope).sort()).toEqual([SERVER_SCOPE, source.id].sort());
    expect(JSON.stringify(rows)).not.toMatch(/s3cret|\/slack\/services/);

    received.length = 0;
    sim.setFaults('500:1');
    const failed = await runOnce(source.id);
    sim.setFaults('');
    expect(failed.status).toBe('failed');
    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    expect(JSON.stringify(received)).not.toContain(token);
    const toSlack = received.filter((r) => r.path.startsWith('/slack/'));
    const toTeams = received.filter((r) => r.path.startsWith('/teams/'));
    expect(toSlack).toHaveLength(1);
    expect(toTeams).toHaveLength(1);
    const slackText = (toSlack[0]!.body as { text: string }).text;
    expect(Object.keys(toSlack[0]!.body as object)).toEqual(['text']);
    expect(slackText).toContain('snagsync: source "notified" failed');
    expect(slackText).toContain(`Run ${failed.run_id} (cli) ended failed`);
    expect(slackText).toMatch(/Error: .*500/);
    const card = toTeams[0]!.body as {
      type: string;
      attachments: Array<{
        contentType: string;
        content: { type: string; version: string; body: Array<{ text: string }> };
      }>;
    };
    expect(card.type).toBe('message');
    expect(card.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]!.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.attachments[0]!.content.body.map((b) => b.text).join('\n')).toContain(failed.run_id);
    expect((await h.runtime.store.notifications.get(source.id))!.last_outcome).toBe('sent (HTTP 200)');

    // The next good run is a recovery; the one after it says nothing.
    received.length = 0;
    const good = await runOnce(source.id);
    expect(good.status).toBe('succeeded');
    expect(received.map((r) => r.path.split('/')[1]).sort()).toEqual(['slack', 'teams']);
    expect((received.find((r) => r.path.startsWith('/slack/'))!.body as { text: string }).text).toContain(
      `source "notified" recovered`,
    );
    received.length = 0;
    expect((await runOnce(source.id)).status).toBe('succeeded');
    expect(received).toEqual([]);
  });

  it('link to the run page when SNAGSYNC_PUBLIC_URL is set; recovery can be switched off', async () => {
    const source = await h.source({ name: 'linked', streams: ['organizations'] });
    await setNotification(h.runtime, source.id, { url: `${base}/slack/linked`, on_recovery: false });
    h.runtime.env.SNAGSYNC_PUBLIC_URL = 'https://snagsync.example.com/';
    try {
      received.length = 0;
      sim.setFaults('500:1');
      const failed = await runOnce(source.id);
      sim.setFaults('');
      expect((received[0]!.body as { text: string }).text).toContain(
        `<https://snagsync.example.com/runs/${failed.run_id}|Open run ${failed.run_id}>`,
      );
      received.length = 0;
      expect((await runOnce(source.id)).status).toBe('succeeded');
      expect(received).toEqual([]);
    } finally {
      delete h.runtime.env.SNAGSYNC_PUBLIC_URL;
    }
  });

  it('a receiver that fails never changes the run; 5xx is retried, 404 is final, a dead one is recorded', async () => {
    const source = await h.source({ name: 'unlucky', streams: ['organizations'] });
    await setNotification(h.runtime, source.id, { url: `${base}/flaky/hook` });
    script.set('/flaky/', [503, 500]);
    received.length = 0;
    sim.setFaults('500:1');
    expect((await runOnce(source.id)).status).toBe('failed');
    expect(received.filter((r) => r.path === '/flaky/hook')).toHaveLength(3);
    expect((await h.runtime.store.notifications.get(source.id))!.last_outcome).toBe('sent (HTTP 200)');

    await setNotification(h.runtime, source.id, { url: `${base}/gone/hook` });
    script.set('/gone/', [404]);
    received.length = 0;
    expect((await runOnce(source.id)).status).toBe('failed');
    expect(received).toHaveLength(1);
    expect((await h.runtime.store.notifications.get(source.id))!.last_outcome).toMatch(
      /^not sent: 127\.0\.0\.1:\d+ answered HTTP 404 — the webhook may have been removed/,
    );

    // Nothing listens on this port (the receiver's, closed after listening once).
    const dead = createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((ok) => dead.close(ok));
    await setNotification(h.runtime, source.id, { url: `http://127.0.0.1:${port}/secretDeadPath` });
    const run = await runOnce(source.id);
    sim.setFaults('');
    expect(run.status).toBe('failed');
    const outcome = (await h.runtime.store.notifications.get(source.id))!.last_outcome!;
    expect(outcome).toMatch(/^not sent after 3 attempts: 127\.0\.0\.1:\d+ could not be reached/);
    expect(outcome).not.toContain('secretDeadPath');
  });

  it.each([
    ['', /empty/],
    ['hooks.slack.com/services/x', /not a URL/],
    ['http://hooks.slack.com/services/x', /uses http: its secret path would cross the network in clear/],
    ['https://user:pw@hooks.slack.com/x', /user name or password/],
    ['https://169.254.169.254/latest', /cloud metadata service/],
    ['https://[fe80::1]/x', /link-local/],
  ])('refuse %j as a notification URL', (url, message) => {
    expect(() => checkNotificationUrl(url)).toThrow(message);
  });

  // A URL saved before a rule changed, or written to the store by hand, is refused again when sent: by the address
  // guard of the client's transport, before any connection (nothing leaves for these addresses).
  it.each([['https://169.254.169.254/latest'], ['http://[fe80::1]/x'], ['https://[::ffff:169.254.169.254]/x']])(
    'never delivers to %j: refused before connecting, every attempt',
    async (url) => {
      const outcome = await deliver(url, { text: 'x' }, { attempts: 2, retryBaseMs: 1 });
      expect(outcome).toMatch(/^not sent after 2 attempts: .* could not be reached \(.*(metadata|link-local)/);
    },
  );
});
