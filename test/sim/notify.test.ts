import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/** POST /notify (Error Reporting API, payload v4) and POST /sessions: grouping, visibility, refusals. */
type Row = Record<string, unknown>;

let sim: Simulator;
let project: string;
let apiKey: string;

beforeAll(async () => {
  sim = await start({ seed: 77, anchor: ANCHOR, events: 300, errors: 15 });
  const p = sim.info().organizations[0]!.projects[0]!;
  project = p.id;
  apiKey = p.api_key;
});
afterAll(() => sim.close());

interface Frame {
  file: string;
  method: string;
  lineNumber: number;
  inProject?: boolean;
}

function payload(opts: {
  errorClass: string;
  message: string;
  frames: Frame[];
  groupingHash?: string;
  apiKey?: string;
  context?: string;
}): Row {
  return {
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    payloadVersion: '4',
    notifier: { name: 'test notifier', version: '1.0.0', url: 'https://example.test' },
    events: [
      {
        exceptions: [{ errorClass: opts.errorClass, message: opts.message, type: 'nodejs', stacktrace: opts.frames }],
        ...(opts.groupingHash ? { groupingHash: opts.groupingHash } : {}),
        context: opts.context,
        unhandled: true,
        severity: 'error',
        severityReason: { type: 'unhandledException' },
        app: { releaseStage: 'production', version: '2.4.0' },
        device: { hostname: 'web-1' },
      },
    ],
  };
}

async function notify(body: unknown, headers: Record<string, string> = {}, path = '/notify') {
  const r = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Bugsnag-Payload-Version': '4', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

const FRAMES: Frame[] = [
  { file: 'node_modules/express/lib/router.js', method: 'handle', lineNumber: 10, inProject: false },
  { file: 'src/billing/invoice.js', method: 'Invoice.total', lineNumber: 42, inProject: true },
  { file: 'src/server.js', method: 'main', lineNumber: 7, inProject: true },
];

async function newestEvents(n: number): Promise<Row[]> {
  return (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=${n}`)).body;
}

describe('POST /notify', () => {
  it('turns a v4 payload into an error and an event listed by the Data Access API', async () => {
    const before = Date.now();
    const r = await notify(payload({ errorClass: 'InvoiceError', message: 'total is NaN', frames: FRAMES }), {
      'Bugsnag-Api-Key': apiKey,
    });
    expect(r.status).toBe(200);
    const [event] = await newestEvents(1);
    expect((event!.exceptions as Row[])[0]).toMatchObject({ errorClass: 'InvoiceError', message: 'total is NaN' });
    const errorId = event!.error_id as string;
    const error = (await api(sim).get<Row>(`/projects/${project}/errors/${errorId}`)).body;
    expect(error).toMatchObject({
      error_class: 'InvoiceError',
      message: 'total is NaN',
      status: 'open',
      severity: 'error',
      unthrottled_occurrence_count: 1,
      grouping_reason: 'frame-inner',
      release_stages: ['production'],
    });
    expect(Date.parse(String(error.first_seen_unfiltered))).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // The errors list shows it too (newest last_seen first).
    const list = (await api(sim).get<Row[]>(`/projects/${project}/errors?per_page=5`)).body;
    expect(list.map((e) => e.id)).toContain(errorId);
    // The top in-project frame is the error's: the full event's first frame.
    const full = (await api(sim).get<Row>(`/projects/${project}/events/${event!.id}`)).body;
    const top = ((full.exceptions as Row[])[0]!.stacktrace as Row[])[0]!;
    expect(top).toMatchObject({ file: 'src/billing/invoice.js', method: 'Invoice.total', line_number: 42 });
  });

  it('groups by class and top in-project frame: the same frame joins, another frame or class does not', async () => {
    await notify(payload({ apiKey, errorClass: 'GroupError', message: 'first', frames: FRAMES.slice(0, 2) }), {}, '/');
    const first = (await newestEvents(1))[0]!.error_id as string;
    // Same class and top in-project frame, a different message and line, and a different outer stack: same error.
    const moved = [{ ...FRAMES[1]!, lineNumber: 99 }, FRAMES[2]!];
    await notify(payload({ apiKey, errorClass: 'GroupError', message: 'second', frames: moved }));
    const second = (await newestEvents(1))[0]!.error_id as string;
    expect(second).toBe(first);
    const error = (await api(sim).get<Row>(`/projects/${project}/errors/${first}`)).body;
    expect(error.unthrottled_occurrence_count).toBe(2);
    expect(error.message).toBe('first');
    // Another in-project frame: a new error. Another class on the same frame: a new error.
    await notify(payload({ apiKey, errorClass: 'GroupError', message: 'x', frames: FRAMES.slice(2) }));
    const third = (await newestEvents(1))[0]!.error_id as string;
    await notify(payload({ apiKey, errorClass: 'OtherError', message: 'x', frames: FRAMES.slice(0, 2) }));
    const fourth = (await newestEvents(1))[0]!.error_id as string;
    expect(new Set([first, third, fourth]).size).toBe(3);
  });

  it('a groupingHash overrides class and frame', async () => {
    await notify(payload({ apiKey, errorClass: 'A', message: 'a', frames: FRAMES, groupingHash: 'checkout' }));
    const a = (await newestEvents(1))[0]!.error_id;
    await notify(payload({ apiKey, errorClass: 'B', message: 'b', frames: FRAMES.slice(2), groupingHash: 'checkout' }));
    const b = (await newestEvents(1))[0]!.error_id;
    expect(b).toBe(a);
    const error = (await api(sim).get<Row>(`/projects/${project}/errors/${a}`)).body;
    expect(error.grouping_reason).toBe('grouping_hash');
  });

  it('a fixed error that gets an event reopens; last_seen moves', async () => {
    const frames = [{ file: 'src/reopen.js', method: 'again', lineNumber: 3, inProject: true }];
    await notify(payload({ apiKey, errorClass: 'ReopenError', message: 'once', frames }));
    const id = (await newestEvents(1))[0]!.error_id as string;
    const fixed = await api(sim).send<Row>('PATCH', `/projects/${project}/errors/${id}`, { operation: 'fix' });
    expect(fixed.body.status).toBe('fixed');
    const seenBefore = Date.parse(String(fixed.body.last_seen_unfiltered));
    await notify(payload({ apiKey, errorClass: 'ReopenError', message: 'twice', frames }));
    const after = (await api(sim).get<Row>(`/projects/${project}/errors/${id}`)).body;
    expect(after.status).toBe('open');
    expect(after.unthrottled_occurrence_count).toBe(2);
    expect(Date.parse(String(after.last_seen_unfiltered))).toBeGreaterThanOrEqual(seenBefore);
  });

  it('refuses a missing or unknown key (401), malformed JSON or no events (400), a body over 1 MB (413)', async () => {
    const body = payload({ errorClass: 'E', message: 'm', frames: FRAMES });
    expect((await notify(body)).status).toBe(401);
    expect((await notify(body, { 'Bugsnag-Api-Key': '0'.repeat(32) })).status).toBe(401);
    // A personal token is not a notifier key.
    expect((await notify(body, { 'Bugsnag-Api-Key': sim.tokens[0]!.token })).status).toBe(401);
    expect((await notify('{"events": [', { 'Bugsnag-Api-Key': apiKey })).status).toBe(400);
    expect((await notify({ apiKey }, {})).status).toBe(400);
    const big = { apiKey, events: [{ exceptions: [{ errorClass: 'Big', message: 'x'.repeat(1_100_000) }] }] };
    expect((await notify(big)).status).toBe(413);
    const stats = sim.notifyStats();
    expect(stats.refused).toMatchObject({ '400': 2, '401': 3, '413': 1 });
  });

  it('an event without a usable exception is dropped, the others in the payload are kept', async () => {
    const before = sim.notifyStats();
    const body = payload({ apiKey, errorClass: 'KeptError', message: 'kept', frames: FRAMES });
    (body.events as Row[]).unshift({ exceptions: [] });
    expect((await notify(body)).status).toBe(200);
    const after = sim.notifyStats();
    expect(after.discarded).toBe(before.discarded + 1);
    expect(after.events).toBe(before.events + 1);
    expect(((await newestEvents(1))[0]!.exceptions as Row[])[0]!.errorClass).toBe('KeptError');
  });
});

describe('POST /sessions', () => {
  it('answers 202 and counts the sessions', async () => {
    const before = sim.notifyStats().sessions;
    const r = await fetch(`${sim.url}/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Bugsnag-Api-Key': apiKey, 'Bugsnag-Payload-Version': '1' },
      body: JSON.stringify({
        notifier: { name: 'n', version: '1', url: 'u' },
        app: { releaseStage: 'production' },
        device: {},
        sessionCounts: [{ startedAt: new Date().toISOString(), sessionsStarted: 3 }],
      }),
    });
    expect(r.status).toBe(202);
    expect(sim.notifyStats().sessions).toBe(before + 3);
    const control = (await (await fetch(`${sim.url}/__sim/notify`)).json()) as Row;
    expect(control.sessions).toBe(before + 3);
  });
});
