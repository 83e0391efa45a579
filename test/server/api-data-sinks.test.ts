import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simComments, simError, simErrorIds, simWrites } from '../writeback/helpers.js';
import { postgresUrl, requireService } from '../helpers/services.js';
import { adminQuery } from '../store/pg.js';
import { login, keyHeaders } from './helpers.js';
import { parseSse, sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** `/api/data_sinks`: destinations of type Bugsnag, planned and applied against the simulator, with a real store. */

let sim: Simulator;
let s: SourcesServer;
let credentialId: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 8 });
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 8);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  sim.setFaults('');
  sim.resetStats();
});
afterEach(async () => {
  await s.cleanup();
});

const jsonl = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).join('\n');
const fileSink = (name: string, rows: Array<Record<string, unknown>>, operation: unknown = null, cred = credentialId) =>
  s.api('POST', '/api/data_sinks', {
    name,
    data_credentials_id: cred,
    data_sink_config: {
      input: { type: 'file', format: 'jsonl', content: jsonl(rows), filename: 'rows.jsonl' },
      operation,
    },
  });

async function applyToEnd(sinkId: string, body: unknown = {}) {
  const res = await s.api('POST', `/api/data_sinks/${sinkId}/apply`, body);
  expect(res.statusCode, res.body).toBe(202);
  const runId = res.json().run_id as string;
  await s.app.snag.sinkRuns.get(runId)!.done;
  return { start: res.json(), run: (await s.api('GET', `/api/data_sinks/${sinkId}/runs/${runId}`)).json() };
}

describe('data_sinks: create, read, update, delete', () => {
  it('creates a Bugsnag destination from an uploaded file (201) and lists, gets, renames and deletes it', async () => {
    const res = await fileSink('triage', [{ project_id: project, error_id: ids[0] }], { name: 'fix', params: {} });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(res.headers.location).toBe(`/api/data_sinks/${created.id}`);
    expect(created).toMatchObject({
      name: 'triage',
      sink_type: 'bugsnag',
      data_credentials_id: credentialId,
      data_credentials: { id: credentialId, name: 'sim admin' },
      data_sink_config: {
        input: { type: 'file', format: 'jsonl', filename: 'rows.jsonl', lines: 1 },
        operation: { name: 'fix', params: {} },
      },
      last_run: null,
      live_run_id: null,
    });
    // The content is kept, not echoed back.
    expect(created.data_sink_config.input.content).toBeUndefined();
    expect((await s.api('GET', '/api/data_sinks')).json().map((x: { id: string }) => x.id)).toEqual([created.id]);
    expect((await s.api('GET', '/api/data_sinks/TRIAGE')).json().id).toBe(created.id);
    const put = await s.api('PUT', `/api/data_sinks/${created.id}`, { name: 'triage 2', description: 'weekly' });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ name: 'triage 2', description: 'weekly' });
    const taken = await fileSink('TRIAGE 2', [{ project_id: project, error_id: ids[0], operation: 'fix' }]);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().field).toBe('name');
    const del = await s.api('DELETE', `/api/data_sinks/${created.id}`);
    expect(del.statusCode).toBe(200);
    const gone = await s.api('GET', `/api/data_sinks/${created.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().hint).toContain('GET /api/data_sinks');
    expect(simWrites(sim)).toBe(0);
  });

  it('takes an uploaded file well over the default 64 KiB body limit', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      project_id: project,
      error_id: ids[i % ids.length],
      operation: 'fix',
    }));
    const res = await fileSink('big file', rows);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    expect(res.json().data_sink_config.input).toMatchObject({ lines: 3000 });
    expect(res.json().data_sink_config.input.bytes).toBeGreaterThan(200_000);
  });

  it('an uploaded file over 4 MiB: 400 on the content, the message ending in one period', async () => {
    const res = await s.api('POST', '/api/data_sinks', {
      name: 'huge',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: { type: 'file', format: 'jsonl', content: 'x'.repeat(4 * 1024 * 1024 + 1) },
        operation: { name: 'fix', params: {} },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      field: 'data_sink_config.input.content',
      message: 'data_sink_config.input.content: The file is larger than 4 MiB.',
    });
  });

  it('answers invalid input with 400 and the field, every row problem listed, nothing saved', async () => {
    const cases: Array<[unknown, string]> = [
      [
        {
          data_credentials_id: credentialId,
          data_sink_config: { input: { type: 'file', format: 'jsonl', content: '{}' } },
        },
        'name',
      ],
      [
        {
          name: 'x',
          data_credentials_id: 'nope',
          data_sink_config: { input: { type: 'file', format: 'csv', content: 'a' } },
        },
        'data_credentials_id',
      ],
      [
        { name: 'x', data_credentials_id: credentialId, data_sink_config: { input: { type: 'ftp' } } },
        'data_sink_config.input.type',
      ],
      [
        {
          name: 'x',
          data_credentials_id: credentialId,
          data_sink_config: { input: { type: 'table', data_source_id: 'nope' }, operation: { name: 'fix' } },
        },
        'data_sink_config.input.data_source_id',
      ],
      [
        {
          name: 'x',
          data_credentials_id: credentialId,
          data_sink_config: { input: { type: 'table', data_source_id: 'nope' } },
        },
        'data_sink_config.operation',
      ],
      [
        {
          name: 'x',
          data_credentials_id: credentialId,
          data_sink_config: {
            input: { type: 'file', format: 'jsonl', content: '{}' },
            operation: { name: 'override_severity', params: { severity: 'loud' } },
          },
        },
        'data_sink_config.operation.params.severity',
      ],
      [
        {
          name: 'x',
          data_credentials_id: credentialId,
          data_sink_config: { input: { type: 'file', format: 'jsonl', content: '{}' }, operation: { name: 'fixx' } },
        },
        'data_sink_config.operation.name',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await s.api('POST', '/api/data_sinks', body);
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.json().field, res.body).toBe(field);
      expect(res.body).not.toMatch(/snagsync [a-z]+ /);
    }
    const rows = await fileSink('rows', [
      { project_id: project, error_id: ids[0], operation: 'fix' },
      { project_id: 'nope', error_id: ids[1], operation: 'fix' },
      { project_id: project, error_id: ids[2], operation: 'snooze' },
    ]);
    expect(rows.statusCode).toBe(400);
    expect(rows.json()).toMatchObject({ field: 'data_sink_config.input.content' });
    expect(rows.json().details.problems.map((p: { row: number; field: string }) => `${p.row}:${p.field}`)).toEqual([
      '2:project_id',
      '3:reopen_if',
    ]);
    expect((await s.api('GET', '/api/data_sinks')).json()).toEqual([]);
  });
});

describe('data_sinks: plan and apply', () => {
  it('plan changes nothing (the simulator counts no write); apply reports per row, live and after; a rerun skips', async () => {
    const before = await simError(sim, project, ids[1]!);
    const res = await fileSink(
      'fixes',
      [
        { project_id: project, error_id: ids[0] },
        { project_id: project, error_id: ids[1] },
        { project_id: project, error_id: 'abcdefabcdefabcdefabcdef' },
        { project_id: project, error_id: ids[2], operation: 'comment', message: 'see TICKET-1' },
      ],
      { name: 'ignore', params: {} },
    );
    const sink = res.json();
    const plan = await s.api('POST', `/api/data_sinks/${sink.id}/plan`);
    expect(plan.statusCode, plan.body).toBe(200);
    expect(simWrites(sim)).toBe(0);
    expect((await simError(sim, project, ids[1]!)).status).toBe(before.status);
    const p = plan.json();
    expect(p).toMatchObject({ data_sink_id: sink.id, rows: 4, changed: false });
    const ignore = p.groups.find((g: { operation: string }) => g.operation === 'ignore');
    expect(ignore.change.length + ignore.skip.length).toBe(2);
    expect(ignore.missing).toEqual([expect.objectContaining({ row: 3, message: expect.stringMatching(/404/) })]);

    const { start, run } = await applyToEnd(sink.id);
    expect(start).toMatchObject({ status: 'running', data_sink_id: sink.id });
    expect(run).toMatchObject({ status: 'partial', live: false, totals: { failed: 1 } });
    expect(run.totals.applied + run.totals.skipped).toBe(3);
    expect(run.rows.map((r: { outcome: string }) => r.outcome)).toEqual([
      expect.stringMatching(/applied|skipped/),
      expect.stringMatching(/applied|skipped/),
      'failed',
      'applied',
    ]);
    expect(run.rows[2]).toMatchObject({ code: 'not_found', message: expect.stringMatching(/404/) });
    expect((await simError(sim, project, ids[0]!)).status).toBe('ignored');
    expect(await simComments(sim, project, ids[2]!)).toContain('see TICKET-1');

    // The events of the finished run: its whole story, ending with run-done; asked again past the end, 204.
    const url = `/api/data_sinks/${sink.id}/runs/${run.id}/events`;
    const events = parseSse((await s.api('GET', url)).body).filter((m) => m.event);
    expect(events.map((m) => m.event)).toEqual(['run-start', 'progress', 'run-done']);
    expect(events.at(-1)!.data).toMatchObject({ status: 'partial', totals: run.totals });
    const again = await s.app.inject({
      method: 'GET',
      url,
      headers: { ...keyHeaders(), 'last-event-id': String(events.at(-1)!.id) },
    });
    expect(again.statusCode).toBe(204);

    const listed = (await s.api('GET', `/api/data_sinks/${sink.id}`)).json();
    expect(listed.last_run).toMatchObject({ id: run.id, status: 'partial' });
    expect(listed.last_run.rows).toBeUndefined();

    // A rerun of the same input: everything already so, the comment not posted twice.
    const second = (await applyToEnd(sink.id)).run;
    expect(second.totals).toEqual({ applied: 0, skipped: 3, failed: 1 });
    expect(second.attempt).toBe(2);
    expect((await simComments(sim, project, ids[2]!)).filter((c) => c === 'see TICKET-1')).toHaveLength(1);
    expect((await s.api('GET', `/api/data_sinks/${sink.id}/runs`)).json().map((r: { id: string }) => r.id)).toEqual([
      second.id,
      run.id,
    ]);
  });

  it('a member discarding: not without confirm (400, field confirm); then every row failed with 403', async () => {
    const member = sim.tokens.find((t) => t.role === 'member')!;
    const cred = await s.api('POST', '/api/data_credentials', {
      name: 'sim member',
      credentials: { auth_token: member.token, host: sim.url },
    });
    expect(cred.statusCode, cred.body).toBe(201);
    const mp = projectsOf(sim, 'member')[0]!;
    const mids = await simErrorIds(sim, mp, 2);
    const sink = (
      await fileSink(
        'discards',
        mids.map((id) => ({ project_id: mp, error_id: id })),
        { name: 'discard', params: {} },
        cred.json().id,
      )
    ).json();
    const refused = await s.api('POST', `/api/data_sinks/${sink.id}/apply`, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ field: 'confirm' });
    expect(simWrites(sim)).toBe(0);
    const { run } = await applyToEnd(sink.id, { confirm: true });
    expect(run.totals).toEqual({ applied: 0, skipped: 0, failed: 2 });
    // Every row failed: the run failed (not "partial", which says some rows went through).
    expect(run.status).toBe('failed');
    for (const r of run.rows)
      expect(r).toMatchObject({ outcome: 'failed', code: 'forbidden', message: expect.stringMatching(/403/) });
    expect((await simError(sim, mp, mids[0]!)).discarded).toBe(false);
  });

  it('a table input: the errors a source synced into SQLite, with a filter', async () => {
    const src = await s.source({
      name: 'prod',
      data_credentials_id: credentialId,
      destination: 'sqlite:triage.db',
      source_config: { streams: ['errors'] },
    });
    await s.runToEnd(src.id);
    const db = new Database(join(s.home, 'triage.db'), { readonly: true });
    const open = db.prepare(`SELECT count(*) AS n FROM errors WHERE status = 'open'`).get() as { n: number };
    db.close();
    expect(open.n).toBeGreaterThan(0);
    const res = await s.api('POST', '/api/data_sinks', {
      name: 'snooze open',
      data_credentials_id: credentialId,
      data_sink_config: {
        input: { type: 'table', data_source_id: 'prod', filter: "status = 'open'" },
        operation: { name: 'snooze', params: { reopen_if: 'n_additional_occurrences', additional_occurrences: 50 } },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().data_sink_config.input).toMatchObject({
      type: 'table',
      table: 'errors',
      filter: "status = 'open'",
    });
    sim.resetStats();
    const plan = (await s.api('POST', `/api/data_sinks/${res.json().id}/plan`)).json();
    expect(plan.rows).toBe(open.n);
    expect(plan.groups.every((g: { operation: string }) => g.operation === 'snooze')).toBe(true);
    expect(simWrites(sim)).toBe(0);

    // The filter is parsed when it is saved: a name that is not a column is refused, with its position.
    const bad = await s.api('PUT', `/api/data_sinks/${res.json().id}`, {
      data_sink_config: {
        input: { type: 'table', data_source_id: 'prod', filter: "status = 'open' AND no_such_column = 1" },
        operation: { name: 'fix' },
      },
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json()).toMatchObject({
      field: 'data_sink_config.input.filter',
      message: expect.stringMatching(/"no_such_column" is not a column of the errors table .*at position 21/),
    });
    // A query the database refuses fails the plan, on the input.
    const query = await s.api('PUT', `/api/data_sinks/${res.json().id}`, {
      data_sink_config: {
        input: { type: 'query', data_source_id: 'prod', query: 'SELECT project_id, no_such_column FROM errors' },
        operation: { name: 'fix' },
      },
    });
    expect(query.statusCode, query.body).toBe(200);
    const failed = await s.api('POST', `/api/data_sinks/${res.json().id}/plan`);
    expect(failed.statusCode).toBe(400);
    expect(failed.json()).toMatchObject({
      field: 'data_sink_config.input',
      message: expect.stringMatching(/no such column/),
    });
  });

  it.skipIf(!requireService('postgres'))('a table input on a source that syncs into PostgreSQL', async () => {
    const u = new URL(postgresUrl());
    const schema = `sinkpg_${process.pid}_${Date.now().toString(36)}`;
    u.searchParams.set('schema', schema);
    try {
      const src = await s.source({
        name: 'pg',
        data_credentials_id: credentialId,
        destination: u.toString(),
        source_config: { streams: ['errors'] },
      });
      await s.runToEnd(src.id);
      const [open] = await adminQuery<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}".errors WHERE status = 'open'`,
      );
      const res = await s.api('POST', '/api/data_sinks', {
        name: 'pg sink',
        data_credentials_id: credentialId,
        data_sink_config: {
          input: { type: 'table', data_source_id: 'pg', filter: "status = 'open'" },
          operation: { name: 'fix' },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      sim.resetStats();
      const plan = (await s.api('POST', `/api/data_sinks/${res.json().id}/plan`)).json();
      expect(open!.n).toBeGreaterThan(0);
      expect(plan.rows).toBe(open!.n);
      expect(simWrites(sim)).toBe(0);
    } finally {
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('one apply per destination: a second while one is live is 409, naming the run', async () => {
    const sink = (await fileSink('busy', [{ project_id: project, error_id: ids[3], operation: 'fix' }])).json();
    // Another process of this host is applying it (its pid is alive: this one's).
    const other = await s.runtime.store.sinks.startRun(sink.id, {});
    const res = await s.api('POST', `/api/data_sinks/${sink.id}/apply`, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(other.id);
    expect(simWrites(sim)).toBe(0);
    expect((await s.api('DELETE', `/api/data_sinks/${sink.id}`)).statusCode).toBe(409);
  });

  it('the same input applied elsewhere with the same credential (the CLI, another destination): 409, nothing sent', async () => {
    const rows = [{ project_id: project, error_id: ids[4], operation: 'fix' }];
    const sink = (await fileSink('same input', rows)).json();
    const plan = (await s.api('POST', `/api/data_sinks/${sink.id}/plan`)).json();
    // A live process holds the journal of this input (this one: its pid is alive).
    const held = await s.runtime.store.writebacks.open({
      input_hash: plan.input_hash,
      credential_id: credentialId,
      rows: 1,
    });
    sim.resetStats();
    const res = await s.api('POST', `/api/data_sinks/${sink.id}/apply`, {});
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().message).toContain(held.id);
    expect(res.body).not.toMatch(/snagsync [a-z]+ /);
    expect(simWrites(sim)).toBe(0);
    await s.runtime.store.writebacks.finish(held.id, 'done');
    expect((await applyToEnd(sink.id)).run.status).toBe('succeeded');
  });

  it('needs the key or a session with its CSRF token', async () => {
    const sink = (await fileSink('csrf', [{ project_id: project, error_id: ids[3], operation: 'fix' }])).json();
    expect((await s.app.inject({ method: 'GET', url: '/api/data_sinks' })).statusCode).toBe(401);
    const browser = await login(s.app);
    const noToken = await s.app.inject({
      method: 'POST',
      url: `/api/data_sinks/${sink.id}/plan`,
      headers: { cookie: browser.cookie, accept: 'application/json' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error).toBe('csrf');
    const withToken = await s.app.inject({
      method: 'POST',
      url: `/api/data_sinks/${sink.id}/plan`,
      headers: { cookie: browser.cookie, accept: 'application/json', 'x-csrf-token': browser.csrf },
    });
    expect(withToken.statusCode, withToken.body).toBe(200);
    expect(simWrites(sim)).toBe(0);
  });
});
