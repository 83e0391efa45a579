import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorTruth, Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start, type Api } from './helpers.js';

/**
 * The truth of errors' histories (`GET /__sim/errors/history`): every change of status, severity and assignment —
 * by a PATCH, a notifier's event reopening a fixed error, a scripted change, a deletion — timed by the simulator's
 * clock, and the intervals error_history would hold if every change were observed.
 */
type Row = Record<string, unknown>;

let sim: Simulator;
let pid: string;
let admin: Api;
let started: string;

beforeAll(async () => {
  started = new Date().toISOString();
  sim = await start({ seed: 20, anchor: ANCHOR, orgs: 1, projects: 1, errors: 12, events: 300 });
  pid = sim.info().organizations[0]!.projects[0]!.id;
  admin = api(sim);
});
afterAll(() => sim.close());

const control = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${sim.url}/__sim${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Row };
};

const truthOf = async (errorId: string): Promise<ErrorTruth> => {
  const r = await control('GET', `/errors/history?project_id=${pid}&error_id=${errorId}`);
  expect(r.status).toBe(200);
  return (r.body.errors as ErrorTruth[])[0]!;
};

async function errorsNow(): Promise<Row[]> {
  return (await admin.get<Row[]>(`/projects/${pid}/errors?per_page=100&sort=unsorted`)).body;
}

/** Times a request was made between: the change's recorded time must fall within. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; from: string; to: string }> {
  const from = new Date().toISOString();
  const value = await f();
  return { value, from, to: new Date().toISOString() };
}

function expectContiguous(t: ErrorTruth): void {
  for (let i = 1; i < t.intervals.length; i++) expect(t.intervals[i - 1]!.valid_to).toBe(t.intervals[i]!.valid_from);
  expect(t.intervals.at(-1)!.valid_to).toBe(t.deleted_at);
}

describe('the truth of error histories', () => {
  it('an unchanged error: one open interval, from its first event if open, else from when the simulator started', async () => {
    const r = await control('GET', `/errors/history?project_id=${pid}`);
    expect(r.status).toBe(200);
    const all = r.body.errors as ErrorTruth[];
    const errors = await errorsNow();
    expect(all.map((t) => t.error_id).sort()).toEqual(errors.map((e) => e.id).sort());
    const statuses = new Set<string>();
    for (const e of errors) {
      const t = all.find((x) => x.error_id === e.id)!;
      expect(t.intervals).toHaveLength(1);
      const [only] = t.intervals;
      expect(only).toMatchObject({
        status: e.status,
        severity: e.severity,
        assigned_collaborator_id: e.assigned_collaborator_id,
        assigned_team_id: e.assigned_team_id,
        valid_to: null,
        cause: 'initial',
      });
      if (e.status === 'open') expect(only!.valid_from).toBe(e.first_seen_unfiltered);
      else expect(only!.valid_from >= started && only!.valid_from <= new Date().toISOString()).toBe(true);
      statuses.add(e.status as string);
    }
    // Both kinds of baseline were checked.
    expect(statuses.has('open')).toBe(true);
    expect(statuses.size).toBeGreaterThan(1);
  });

  it('records PATCH writes (status, severity, assignment) at the time they were made; other writes change nothing', async () => {
    const [e] = (await errorsNow()).filter((x) => x.status === 'open' && x.assigned_collaborator_id === null);
    const collaborator = (await admin.get<Row[]>(`/projects/${pid}/collaborators`)).body[0]!.id as string;
    const path = `/projects/${pid}/errors/${e!.id as string}`;
    const fix = await timed(() => admin.send('PATCH', path, { operation: 'fix' }));
    expect(fix.value.status).toBe(200);
    // Linking an issue and commenting are not tracked fields: no interval.
    expect((await admin.send('PATCH', path, { operation: 'link_issue', issue_url: 'https://x.test/I-1' })).status).toBe(
      200,
    );
    const severity = e!.severity === 'info' ? 'warning' : 'info';
    const sev = await timed(() => admin.send('PATCH', path, { operation: 'override_severity', severity }));
    const assign = await timed(() =>
      admin.send('PATCH', `/projects/${pid}/errors?error_ids[]=${e!.id as string}`, {
        operation: 'assign',
        assigned_collaborator_id: collaborator,
      }),
    );
    expect(assign.value.status).toBe(200);
    const t = await truthOf(e!.id as string);
    expect(t.intervals.map((i) => [i.status, i.severity, i.assigned_collaborator_id, i.cause])).toEqual([
      ['open', e!.severity, null, 'initial'],
      ['fixed', e!.severity, null, 'patch'],
      ['fixed', severity, null, 'patch'],
      ['fixed', severity, collaborator, 'patch'],
    ]);
    expect(t.intervals[0]!.valid_from).toBe(e!.first_seen_unfiltered);
    for (const [i, w] of [fix, sev, assign].entries()) {
      const from = t.intervals[i + 1]!.valid_from;
      expect(from >= w.from && from <= w.to, `${from} in ${w.from}…${w.to}`).toBe(true);
    }
    expectContiguous(t);
    expect(t.changes.map((c) => c.cause)).toEqual(['initial', 'patch', 'patch', 'patch']);
    expect(t.changes.every((c) => c.project_id === pid && c.error_id === e!.id)).toBe(true);
  });

  it("a notifier's event reopens a fixed error (cause event); an event added by the control API does not", async () => {
    const [e] = (await errorsNow()).filter((x) => x.status === 'open' && x.id);
    const id = e!.id as string;
    await admin.send('PATCH', `/projects/${pid}/errors/${id}`, { operation: 'fix' });
    sim.addEvents({ errorId: id, count: 1 });
    expect((await truthOf(id)).intervals.at(-1)!.status).toBe('fixed');
    const reopened = await timed(async () =>
      control('POST', '/events', { project_id: pid, error_id: id, count: 1, reopen: true }),
    );
    expect(reopened.value.status).toBe(200);
    const t = await truthOf(id);
    expect(t.intervals.map((i) => [i.status, i.cause])).toEqual([
      ['open', 'initial'],
      ['fixed', 'patch'],
      ['open', 'event'],
    ]);
    const at = t.intervals[2]!.valid_from;
    expect(at >= reopened.from && at <= reopened.to).toBe(true);
    expect((await admin.get<Row>(`/projects/${pid}/errors/${id}`)).body.status).toBe('open');
  });

  it('scripted changes: applied now, dated at (never in the future, never before the last change); the API shows them', async () => {
    // One no test above changed (its last change is its first event, long before now).
    const fresh = (await control('GET', `/errors/history?project_id=${pid}`)).body.errors as ErrorTruth[];
    const e = (await errorsNow()).find(
      (x) =>
        x.status === 'open' &&
        x.assigned_collaborator_id === null &&
        fresh.find((t) => t.error_id === x.id)!.changes.length === 1,
    )!;
    const id = e.id as string;
    const t0 = Date.now();
    const snoozedAt = new Date(t0 - 5000).toISOString();
    const r = await control('POST', '/errors/change', {
      project_id: pid,
      error_id: id,
      status: 'snoozed',
      at: snoozedAt,
    });
    expect(r.status).toBe(200);
    expect((r.body as unknown as ErrorTruth).intervals.at(-1)).toMatchObject({
      status: 'snoozed',
      valid_from: snoozedAt,
      cause: 'scripted',
    });
    const shown = (await admin.get<Row>(`/projects/${pid}/errors/${id}`)).body;
    expect(shown.status).toBe('snoozed');
    expect((shown.reopen_rules as Row).reopen_if).toBe('n_additional_occurrences');

    // Before the last change, in the future, an unknown status or collaborator, another project: 400, nothing changed.
    const refused = [
      { status: 'fixed', at: new Date(t0 - 10_000).toISOString() },
      { status: 'fixed', at: new Date(Date.now() + 60_000).toISOString() },
      { status: 'resolved' },
      { assigned_collaborator_id: 'nobody' },
      { status: 'fixed', project_id: 'ffffffffffffffffffffffff' },
      { status: 'fixed', at: 'yesterday-ish' },
    ];
    for (const body of refused) {
      const x = await control('POST', '/errors/change', { project_id: pid, error_id: id, ...body });
      expect(x.status, JSON.stringify(body)).toBe(400);
    }
    expect((await truthOf(id)).intervals).toHaveLength(2);

    // Library twin: assign and re-grade at once (default at: now).
    const collaborator = (await admin.get<Row[]>(`/projects/${pid}/collaborators`)).body[0]!.id as string;
    const before = new Date().toISOString();
    const t = sim.changeError({ errorId: id, severity: 'info', assignedCollaboratorId: collaborator });
    const last = t.intervals.at(-1)!;
    expect(last).toMatchObject({ status: 'snoozed', severity: 'info', assigned_collaborator_id: collaborator });
    expect(last.valid_from >= before).toBe(true);
    // A change to the state it already has records nothing.
    expect(sim.changeError({ errorId: id, severity: 'info' }).intervals).toHaveLength(t.intervals.length);
    expectContiguous(t);
  });

  it('a deletion closes the last interval; the error stays in the truth, gone from the API', async () => {
    const e = (await errorsNow())[0]!;
    const id = e.id as string;
    const del = await timed(() => control('POST', '/errors/delete', { error_id: id }));
    expect(del.value.status).toBe(200);
    const t = await truthOf(id);
    expect(t.deleted_at! >= del.from && t.deleted_at! <= del.to).toBe(true);
    expect(t.changes.at(-1)!.cause).toBe('deleted');
    expectContiguous(t);
    expect((await admin.get(`/projects/${pid}/errors/${id}`)).status).toBe(404);
    expect((await control('POST', '/errors/delete', { error_id: id })).status).toBe(400);
    expect((await control('POST', '/errors/change', { error_id: id, status: 'open' })).status).toBe(400);
    // Through the Data Access API too (cause deleted).
    const other = (await errorsNow())[0]!.id as string;
    expect((await admin.send('DELETE', `/projects/${pid}/errors/${other}`)).status).toBe(204);
    const gone = await truthOf(other);
    expect(gone.deleted_at).not.toBeNull();
    expect(gone.changes.at(-1)!.cause).toBe('deleted');
    const all = (await control('GET', `/errors/history?project_id=${pid}`)).body.errors as ErrorTruth[];
    expect(
      all
        .filter((x) => x.deleted_at !== null)
        .map((x) => x.error_id)
        .sort(),
    ).toEqual([id, other].sort());
  });

  it('asks for a project', async () => {
    expect((await control('GET', '/errors/history')).status).toBe(400);
    expect((await control('GET', '/errors/history?project_id=nope')).status).toBe(400);
  });
});
