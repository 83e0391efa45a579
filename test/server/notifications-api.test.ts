import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { type SourcesServer, sourcesServer, startSim } from './sources-helpers.js';

/**
 * `/api/data_sources/{id}/notification` and `/api/notification` over the real server and the simulator: the URL is
 * write-only (answers carry a hint), a bad one is refused naming the field, a failed run started through the API is
 * told to both loopback receivers with a link to its page, and the outcome is shown.
 */

let sim: Simulator;
let s: SourcesServer;
let receiver: Server;
let base: string;
const received: Array<{ path: string; body: Record<string, unknown> }> = [];
/** Resolves once the receiver has taken `n` messages (the run's process sends them after the run has ended). */
let waiter: { n: number; done: () => void } | null = null;
const receivedCount = (n: number) =>
  new Promise<void>((done) => {
    if (received.length >= n) done();
    else waiter = { n, done };
  });

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 2, events: 3 });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(req.url?.startsWith('/teams') ? 202 : 200).end('ok', () => {
        if (waiter && received.length >= waiter.n) waiter.done();
      });
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  s = await sourcesServer({ env: { SNAGSYNC_PUBLIC_URL: 'https://snagsync.example.com' } });
});

afterAll(async () => {
  await s?.cleanup();
  await new Promise((ok) => receiver.close(ok));
  await sim?.close();
});

describe('notification API', () => {
  it('sets, shows (masked), uses, and removes a source and a server notification', async () => {
    await s.credential(sim);
    const source = await s.source({
      name: 'told',
      data_credentials_id: (await s.api('GET', '/api/data_credentials')).json()[0].id,
      source_config: { streams: ['organizations'] },
    });
    expect((await s.api('GET', `/api/data_sources/${source.id}/notification`)).json()).toEqual({ notification: null });

    const bad = await s.api('PUT', `/api/data_sources/${source.id}/notification`, {
      url: 'http://hooks.slack.com/services/T/B/x',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'config', field: 'url', message: expect.stringMatching(/in clear/) });

    const slackUrl = `${base}/slack/T01/B01/sl4ckSecret`;
    const put = await s.api('PUT', `/api/data_sources/${source.id}/notification`, { url: slackUrl });
    expect(put.statusCode).toBe(200);
    expect(put.body).not.toContain('sl4ckSecret');
    expect(put.json().notification).toMatchObject({
      scope: 'source',
      format: 'slack',
      url_hint: `${base}/…cret`,
      on_recovery: true,
    });
    const server = await s.api('PUT', '/api/notification', {
      url: `${base}/teams/invoke?sig=t34msSecret`,
      format: 'teams',
      on_recovery: false,
    });
    expect(server.statusCode).toBe(200);
    expect(server.json().notification).toMatchObject({ scope: 'server', format: 'teams', on_recovery: false });
    expect(server.body).not.toContain('t34msSecret');

    sim.setFaults('500:1');
    const runId = await s.runToEnd(source.id);
    sim.setFaults('');
    expect((await s.api('GET', `/api/runs/${runId}`)).json().status).toBe('failed');
    await receivedCount(2);
    // The run's process records the deliveries after the receiver answered: wait for it to exit.
    await s.app.snag.runs.executor.close?.();
    expect(received.map((r) => r.path.split('/')[1]).sort()).toEqual(['slack', 'teams']);
    const slack = received.find((r) => r.path.startsWith('/slack'))!.body;
    expect(slack.text).toContain('source "told" failed');
    expect(slack.text).toContain(`<https://snagsync.example.com/runs/${runId}|Open run ${runId}>`);
    expect(JSON.stringify(received)).not.toContain(sim.tokens.find((t) => t.role === 'admin')!.token);

    const after = (await s.api('GET', `/api/data_sources/${source.id}/notification`)).json().notification;
    expect(after.last_outcome).toBe('sent (HTTP 200)');
    expect((await s.api('GET', '/api/notification')).json().notification.last_outcome).toBe('sent (HTTP 202)');

    expect((await s.api('DELETE', `/api/data_sources/${source.id}/notification`)).json()).toEqual({ removed: true });
    expect((await s.api('DELETE', '/api/notification')).json()).toEqual({ removed: true });
    expect((await s.api('GET', '/api/notification')).json()).toEqual({ notification: null });
  });
});
