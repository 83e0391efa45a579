import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/** Webhooks like Bugsnag's: triggers, the documented payload, in-order retried delivery, the drop share, loopback only. */
type Row = Record<string, unknown>;

interface Receipt {
  body: Row;
  atMs: number;
}

/** A webhook target on loopback that records what it receives and answers the statuses it is told to, in turn. */
interface Receiver {
  url: string;
  receipts: Receipt[];
  /** Statuses for the next requests (then 200). */
  answers: number[];
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const r: Receiver = { url: '', receipts: [], answers: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.receipts.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Row, atMs: performance.now() });
      res.writeHead(r.answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

let sim: Simulator;
let project: string;
let other: string;
let apiKey: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sim = await start({ seed: 91, anchor: ANCHOR, events: 300, errors: 15 });
  const projects = sim.info().organizations[0]!.projects;
  project = projects[0]!.id;
  other = projects[1]!.id;
  apiKey = projects[0]!.api_key;
});
afterEach(async () => {
  sim.webhooks.removeAll();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sim.close());

async function target(config: Row): Promise<{ id: string; rx: Receiver }> {
  const rx = await receiver();
  receivers.push(rx);
  const r = await control('POST', '/webhooks', { url: rx.url, ...config });
  expect(r.status).toBe(201);
  return { id: r.body.id as string, rx };
}

async function control(method: string, path: string, body?: unknown) {
  const r = await fetch(`${sim.url}/__sim${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Row };
}

async function notify(errorClass: string, file: string, message = 'boom') {
  const r = await fetch(`${sim.url}/notify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Bugsnag-Api-Key': apiKey, 'Bugsnag-Payload-Version': '4' },
    body: JSON.stringify({
      payloadVersion: '4',
      notifier: { name: 'test', version: '1', url: 'https://example.test' },
      events: [
        {
          exceptions: [{ errorClass, message, stacktrace: [{ file, method: 'run', lineNumber: 12, inProject: true }] }],
          context: 'GET /checkout',
          unhandled: false,
          severity: 'warning',
          app: { releaseStage: 'production' },
        },
      ],
    }),
  });
  expect(r.status).toBe(200);
}

const types = (rx: Receiver) => rx.receipts.map((r) => (r.body.trigger as Row).type);

describe('webhooks', () => {
  it('a new error sends firstException then exception, with the documented payload; the next event only exception', async () => {
    const { rx } = await target({ project_id: project, triggers: ['firstException', 'exception'] });
    await notify('HookError', 'src/hook.js', 'first failure');
    await sim.idle();
    expect(types(rx)).toEqual(['firstException', 'exception']);
    const [event] = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=1`)).body;
    const org = sim.info().organizations[0]!;
    const body = rx.receipts[1]!.body;
    expect(Object.keys(body).sort()).toEqual(['account', 'error', 'project', 'trigger']);
    expect(body.account).toEqual({ id: org.id, name: org.name, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1/) });
    expect(body.project).toEqual({ id: project, name: org.projects[0]!.name, url: expect.any(String) });
    expect(body.trigger).toEqual({ type: 'exception', message: '1st exception' });
    const error = body.error as Row;
    expect(error).toMatchObject({
      id: event!.id,
      errorId: event!.error_id,
      exceptionClass: 'HookError',
      message: 'first failure',
      context: 'GET /checkout',
      releaseStage: 'production',
      severity: 'warning',
      status: 'open',
      unhandled: false,
      receivedAt: event!.received_at,
      firstReceived: event!.received_at,
    });
    expect(String(error.url)).toContain(`/errors/${event!.error_id}?event_id=${event!.id}`);
    expect((error.stackTrace as Row[])[0]).toMatchObject({ file: 'src/hook.js', method: 'run', lineNumber: 12 });
    expect((error.stackTrace as Row[])[0]!.inProject).toBe(true);

    await notify('HookError', 'src/hook.js', 'again');
    await sim.idle();
    expect(types(rx)).toEqual(['firstException', 'exception', 'exception']);
    expect((rx.receipts[2]!.body.trigger as Row).message).toBe('2nd exception');
  });

  it('events added through the control API fire too; powerTen on the 10th; a target sees only its project', async () => {
    const { rx } = await target({ project_id: project, triggers: ['firstException', 'powerTen'] });
    const { rx: elsewhere } = await target({ project_id: other, triggers: ['exception'] });
    const added = await control('POST', '/errors', { project_id: project, count: 1, events_per_error: 12 });
    await sim.idle();
    expect(types(rx)).toEqual(['firstException', 'powerTen']);
    expect(rx.receipts[1]!.body.trigger).toEqual({ type: 'powerTen', message: '10th exception' });
    expect((rx.receipts[1]!.body.error as Row).errorId).toBe((added.body.errors as Row[])[0]!.id);
    expect(elsewhere.receipts).toHaveLength(0);
  });

  it('a status changed through the API, a comment, and an event on a fixed error fire their triggers', async () => {
    const { rx } = await target({ triggers: ['errorStateManualChange', 'comment', 'reopened'] });
    await notify('StateError', 'src/state.js');
    await sim.idle();
    const [event] = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=1`)).body;
    const errorId = event!.error_id as string;
    expect((await api(sim).send('PATCH', `/projects/${project}/errors/${errorId}`, { operation: 'fix' })).status).toBe(
      200,
    );
    const posted = await api(sim).send<Row>('POST', `/projects/${project}/errors/${errorId}/comments`, {
      message: 'on it',
    });
    expect(posted.status).toBe(201);
    await notify('StateError', 'src/state.js');
    await sim.idle();
    expect(types(rx)).toEqual(['errorStateManualChange', 'comment', 'reopened']);
    const [change, comment, reopened] = rx.receipts.map((r) => r.body);
    expect(change!.trigger).toMatchObject({ type: 'errorStateManualChange', stateChange: 'fixed' });
    expect((change!.error as Row).errorId).toBe(errorId);
    expect(comment!.comment).toMatchObject({ id: posted.body.id, message: 'on it' });
    expect(comment!.user).toMatchObject({ id: sim.tokens[0]!.user_id, email: sim.tokens[0]!.email });
    expect(reopened!.trigger).toMatchObject({ type: 'reopened', message: 'Error reopened' });
    expect((await api(sim).get<Row>(`/projects/${project}/errors/${errorId}`)).body.status).toBe('open');
  });

  it('a snoozed error reopens when its rule is met, and reopened carries the snooze rule', async () => {
    const { rx } = await target({ triggers: ['reopened', 'errorStateManualChange'] });
    await notify('SnoozeError', 'src/snooze.js');
    const [event] = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=1`)).body;
    const errorId = event!.error_id as string;
    const snooze = await api(sim).send<Row>('PATCH', `/projects/${project}/errors/${errorId}`, {
      operation: 'snooze',
      reopen_rules: { reopen_if: 'n_additional_occurrences', additional_occurrences: 2 },
    });
    expect(snooze.body.status).toBe('snoozed');
    await notify('SnoozeError', 'src/snooze.js');
    expect((await api(sim).get<Row>(`/projects/${project}/errors/${errorId}`)).body.status).toBe('snoozed');
    await notify('SnoozeError', 'src/snooze.js');
    expect((await api(sim).get<Row>(`/projects/${project}/errors/${errorId}`)).body.status).toBe('open');
    await sim.idle();
    expect(types(rx)).toEqual(['errorStateManualChange', 'reopened']);
    expect(rx.receipts[0]!.body.trigger).toEqual({
      type: 'errorStateManualChange',
      message: 'Error snoozed',
      stateChange: 'snoozed',
      snoozeRule: { type: 'occurrences', ruleValue: 2 },
    });
    expect(rx.receipts[1]!.body.trigger).toEqual({
      type: 'reopened',
      message: 'Error unsnoozed',
      snoozeRule: { type: 'occurrences', ruleValue: 2 },
    });
  });

  it('a failing target is retried with growing waits, in order, then delivered; an unreachable one fails', async () => {
    const { id, rx } = await target({ triggers: ['exception'], backoff_ms: 40, max_attempts: 5 });
    rx.answers.push(500, 503);
    await control('POST', '/events', { project_id: project, count: 2 });
    await sim.idle();
    const ids = rx.receipts.map((r) => (r.body.error as Row).id);
    // The first delivery three times (500, 503, 200), and only then the second: in order per target.
    expect(ids).toHaveLength(4);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[1]).toBe(ids[2]);
    expect(ids[3]).not.toBe(ids[0]);
    const gaps = [rx.receipts[1]!.atMs - rx.receipts[0]!.atMs, rx.receipts[2]!.atMs - rx.receipts[1]!.atMs];
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    const listed = ((await control('GET', '/webhooks')).body.webhooks as Row[]).find((w) => w.id === id)!;
    expect(listed.counts).toEqual({
      offered: 2,
      delivered: 2,
      failed: 0,
      retried: 2,
      dropped: 0,
      attempts: 4,
      pending: 0,
    });

    // Nothing listens on a closed receiver's port: connection refused on every attempt, then counted failed.
    const gone = await receiver();
    await gone.close();
    const dead = await control('POST', '/webhooks', {
      url: gone.url,
      triggers: ['exception'],
      backoff_ms: 5,
      max_attempts: 3,
    });
    await control('POST', '/events', { project_id: project, count: 1 });
    await sim.idle();
    const deadView = ((await control('GET', '/webhooks')).body.webhooks as Row[]).find((w) => w.id === dead.body.id)!;
    expect(deadView.counts).toMatchObject({ offered: 1, delivered: 0, failed: 1, retried: 2, attempts: 3 });
    expect(deadView.last_error).toMatch(/ECONNREFUSED/);
  });

  it('drop loses an exact share deterministically, and polling finds the dropped events', async () => {
    const { rx, id } = await target({ project_id: project, triggers: ['exception'], drop: 0.33 });
    const added = await control('POST', '/events', { project_id: project, count: 30 });
    await sim.idle();
    const view = ((await control('GET', '/webhooks')).body.webhooks as Row[]).find((w) => w.id === id)!;
    expect(view.counts).toMatchObject({ offered: 30, dropped: 9, delivered: 21 });
    expect(rx.receipts).toHaveLength(21);
    const pushed = new Set(rx.receipts.map((r) => (r.body.error as Row).id as string));
    const all = (added.body.events as Row[]).map((e) => e.id as string);
    const missed = all.filter((e) => !pushed.has(e));
    expect(missed).toHaveLength(9);
    // Every third one, from the third: ⌊(n+1)·0.33⌋ > ⌊n·0.33⌋.
    expect(missed[0]).toBe(all[3]);
    const listed = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=30`)).body.map((e) => e.id);
    expect(missed.every((e) => listed.includes(e))).toBe(true);
  });

  it('refuses targets that are not loopback http, and bad configs; DELETE removes a target', async () => {
    for (const url of [
      'http://example.com/hook',
      'http://10.0.0.1/hook',
      'https://127.0.0.1/hook',
      'http://user:pw@127.0.0.1/hook',
      'not a url',
    ]) {
      const r = await control('POST', '/webhooks', { url, triggers: ['exception'] });
      expect(r.status, url).toBe(400);
    }
    expect((await control('POST', '/webhooks', { url: 'http://127.0.0.1:9/h', triggers: ['nope'] })).status).toBe(400);
    expect((await control('POST', '/webhooks', { url: 'http://127.0.0.1:9/h', triggers: [] })).status).toBe(400);
    expect((await control('GET', '/webhooks')).body.webhooks).toEqual([]);

    const { id, rx } = await target({ triggers: ['exception'] });
    expect((await control('DELETE', `/webhooks/${id}`)).status).toBe(200);
    expect((await control('DELETE', `/webhooks/${id}`)).status).toBe(404);
    await control('POST', '/events', { project_id: project, count: 1 });
    await sim.idle();
    expect(rx.receipts).toHaveLength(0);
  });
});
