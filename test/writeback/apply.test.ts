import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { prepareWriteback } from '../../src/writeback/index.js';
import { isSnagError } from '../../src/core/errors.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { projectsOf, simComments, simError, simErrorIds, simGet, simWrites, writeJsonl } from './helpers.js';

let sim: Simulator;
let home: Home;
let cred: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 60 });
  home = await makeHome(sim);
  cred = await home.credential('admin');
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 60);
});
afterAll(async () => {
  await home.cleanup();
  await sim.close();
});
beforeEach(() => {
  sim.setFaults('');
  sim.resetStats();
});

let n = 0;
const input = (rows: Array<Record<string, unknown>>) => writeJsonl(home.home, `in-${++n}.jsonl`, rows);
const run = async (rows: Array<Record<string, unknown>>, opts: { batchSize?: number; credential?: string } = {}) => {
  const s = await prepareWriteback(
    home.runtime,
    opts.credential ?? cred,
    input(rows),
    opts.batchSize ? { batchSize: opts.batchSize } : {},
  );
  return s;
};

describe('write-back against the simulator', () => {
  it('checks every row first and lists all problems at once, sending nothing', async () => {
    const err = await run([
      { project_id: project, error_id: ids[0], operation: 'fixx' },
      { project_id: 'nope', error_id: ids[0], operation: 'fix' },
      { project_id: project, error_id: ids[1], operation: 'snooze' },
      { project_id: project, error_id: ids[2], operation: 'override_severity', severity: 'loud' },
      { project_id: 'ffffffffffffffffffffffff', error_id: ids[3], operation: 'fix' },
      { project_id: project, error_id: ids[4], operation: 'comment' },
    ]).catch((e: unknown) => e);
    expect(isSnagError(err, 'config')).toBe(true);
    const problems = (err as { details: { problems: Array<{ row: number; field: string }> } }).details.problems;
    expect(problems.map((p) => `${p.row}:${p.field}`)).toEqual([
      '1:operation',
      '2:project_id',
      '3:reopen_if',
      '4:severity',
      '5:project_id',
      '6:message',
    ]);
    expect(simWrites(sim)).toBe(0);
  });

  it('plans without writing, then applies every operation; a rerun skips everything', async () => {
    const sev = (await simError(sim, project, ids[5]!)).severity === 'info' ? 'warning' : 'info';
    const rows = [
      { project_id: project, error_id: ids[0], operation: 'fix' },
      { project_id: project, error_id: ids[1], operation: 'fix' },
      { project_id: project, error_id: ids[2], operation: 'ignore' },
      {
        project_id: project,
        error_id: ids[3],
        operation: 'snooze',
        reopen_if: 'n_additional_occurrences',
        additional_occurrences: 100,
      },
      {
        project_id: project,
        error_id: ids[4],
        operation: 'snooze',
        reopen_if: 'n_occurrences_in_m_hours',
        occurrences: 5,
        hours: 2,
      },
      { project_id: project, error_id: ids[5], operation: 'override_severity', severity: sev },
      { project_id: project, error_id: ids[6], operation: 'discard' },
      { project_id: project, error_id: ids[7], operation: 'link_issue', issue_url: 'https://tracker.example/T-7' },
      { project_id: project, error_id: ids[8], operation: 'comment', message: 'see T-8' },
      { project_id: project, error_id: ids[9], operation: 'snooze', reopen_if: 'occurs_after', seconds: 3600 },
      {
        project_id: project,
        error_id: ids[10],
        operation: 'snooze',
        reopen_if: 'n_additional_users',
        additional_users: 3,
      },
    ];
    const s = await run(rows);
    expect(simWrites(sim)).toBe(0);
    const fixGroup = s.plan.groups.find((g) => g.operation === 'fix')!;
    expect(fixGroup.change.length + fixGroup.skip.length).toBe(2);
    const report = await s.apply();
    expect(report.totals.failed).toBe(0);
    const e = (i: number) => simError(sim, project, ids[i]!);
    expect((await e(0)).status).toBe('fixed');
    expect((await e(1)).status).toBe('fixed');
    expect((await e(2)).status).toBe('ignored');
    expect((await e(3)).reopen_rules).toMatchObject({
      reopen_if: 'n_additional_occurrences',
      additional_occurrences: 100,
    });
    expect((await e(4)).reopen_rules).toMatchObject({
      reopen_if: 'n_occurrences_in_m_hours',
      occurrences: 5,
      hours: 2,
    });
    expect((await e(5)).severity).toBe(sev);
    expect((await e(6)).discarded).toBe(true);
    expect((await e(7)).linked_issues.map((l) => l.url)).toContain('https://tracker.example/T-7');
    expect(await simComments(sim, project, ids[8]!)).toContain('see T-8');
    expect((await e(9)).status).toBe('snoozed');
    expect((await e(10)).reopen_rules).toMatchObject({ reopen_if: 'n_additional_users', additional_users: 3 });

    // The two fixes went in one bulk PATCH.
    expect(sim.stats().endpoints['PATCH /projects/{project_id}/errors']).toBe(1);

    // Then the reverse operations.
    const back = await run([
      { project_id: project, error_id: ids[0], operation: 'open' },
      { project_id: project, error_id: ids[6], operation: 'undiscard' },
      { project_id: project, error_id: ids[7], operation: 'unlink_issue' },
    ]);
    expect((await back.apply()).totals).toEqual({ applied: 3, skipped: 0, failed: 0 });
    expect((await e(0)).status).toBe('open');
    expect((await e(6)).discarded).toBe(false);
    expect((await e(7)).linked_issues).toEqual([]);

    // Rerunning the first input applies only what changed since (the three reversed rows); the comment is not
    // posted again: the journal knows it was.
    sim.resetStats();
    const again = await run(rows);
    expect(again.plan.writes).toBe(3);
    const r2 = await again.apply();
    expect(r2.attempt).toBe(2);
    expect(r2.totals).toEqual({ applied: 3, skipped: 8, failed: 0 });
    expect(r2.rows.filter((x) => x.outcome === 'applied').map((x) => x.row)).toEqual([1, 7, 8]);
    expect(simWrites(sim)).toBe(3);
    expect((await simComments(sim, project, ids[8]!)).filter((m) => m === 'see T-8')).toHaveLength(1);
  });

  it("assigns by a collaborator's email, case-insensitively", async () => {
    const collabs = (await fetch(`${sim.url}/projects/${project}/collaborators`, {
      headers: { Authorization: `token ${sim.tokens[0]!.token}`, 'X-Version': '2' },
    }).then((r) => r.json())) as Array<{ id: string; email: string }>;
    const who = collabs[0]!;
    const s = await run([
      { project_id: project, error_id: ids[20], operation: 'assign', assignee: who.email.toUpperCase() },
    ]);
    expect((await s.apply()).totals.applied).toBe(1);
    expect((await simError(sim, project, ids[20]!)).assigned_collaborator_id).toBe(who.id);
  });

  it("assigns to a team by its name, resolved through the organization's teams", async () => {
    const org = sim.info().organizations.find((o) => o.projects.some((p) => p.id === project))!.id;
    const teams = (await simGet(sim, `/organizations/${org}/teams`)).body as Array<{ id: string; name: string }>;
    expect(teams.length).toBeGreaterThan(0);
    const team = teams[0]!;
    const s = await run([{ project_id: project, error_id: ids[21], operation: 'assign', team: team.name }]);
    expect((await s.apply()).totals.applied).toBe(1);
    expect((await simError(sim, project, ids[21]!)).assigned_team_id).toBe(team.id);
    const bad = await run([
      { project_id: project, error_id: ids[21], operation: 'assign', team: 'no such team' },
    ]).catch((e: unknown) => e);
    expect((bad as { details: { problems: Array<{ field: string }> } }).details.problems[0]!.field).toBe('team');
  });

  it('a member cannot discard (403) and an unknown error is a 404: both name their rows', async () => {
    const member = await home.credential('member');
    const mp = projectsOf(sim, 'member')[0]!;
    const mids = await simErrorIds(sim, mp, 3);
    const s = await run(
      [
        { project_id: mp, error_id: mids[0], operation: 'discard' },
        { project_id: mp, error_id: mids[1], operation: 'discard' },
        { project_id: mp, error_id: 'abcdefabcdefabcdefabcdef', operation: 'fix' },
        { project_id: mp, error_id: mids[2], operation: 'fix' },
      ],
      { credential: member },
    );
    const r = await s.apply();
    expect(r.rows.map((x) => x.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
      expect.stringMatching(/applied|skipped/),
    ]);
    expect(r.rows[0]!.message).toMatch(/403/);
    expect(r.rows[2]!.message).toMatch(/404/);
    expect((await simError(sim, mp, mids[0]!)).discarded).toBe(false);
  });

  it('a token revoked in the middle stops the apply; after it is restored a rerun applies only what is missing', async () => {
    const pool = [...ids.slice(11, 20), ...ids.slice(21, 30)];
    const open: string[] = [];
    for (const id of pool) if ((await simError(sim, project, id)).status === 'open') open.push(id);
    const targets = open.slice(0, 6);
    expect(targets.length).toBeGreaterThanOrEqual(4);
    const rows = targets.map((id) => ({ project_id: project, error_id: id, operation: 'ignore' }));
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const s = await run(rows, { batchSize: 2 });
    try {
      const r1 = await s.apply({ onProgress: (done) => done >= 2 && sim.revokeToken(admin) });
      expect(r1.stopped?.code).toMatch(/^auth_/);
      expect(r1.totals.applied).toBe(2);
      expect(r1.rows.filter((x) => x.outcome === 'failed').every((x) => x.message?.startsWith('not sent'))).toBe(true);
    } finally {
      sim.restoreToken(admin);
    }
    sim.resetStats();
    const r2 = await (await run(rows, { batchSize: 2 })).apply();
    expect(r2.totals).toEqual({ applied: targets.length - 2, skipped: 2, failed: 0 });
    expect(simWrites(sim)).toBe(Math.ceil((targets.length - 2) / 2));
    for (const id of targets) expect((await simError(sim, project, id)).status).toBe('ignored');
  });

  for (const fault of ['500:0.5~/errors', 'reset:0.5~/errors']) {
    it(`a fault in the middle of bulk batches (${fault}), then a rerun: exact final state, no duplicate comment`, async () => {
      const targets = ids.slice(30, 60);
      const rows = [
        ...targets.map((id) => ({
          project_id: project,
          error_id: id,
          operation: fault.startsWith('500') ? 'ignore' : 'fix',
        })),
        ...targets.slice(0, 6).map((id) => ({
          project_id: project,
          error_id: id,
          operation: 'comment',
          message: `ticket for ${id} (${fault})`,
        })),
      ];
      const first = await run(rows, { batchSize: 3 });
      sim.setFaults(fault);
      const r1 = await first.apply();
      sim.setFaults('');
      expect(Object.values(sim.stats().faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(r1.totals.applied).toBeGreaterThan(0);
      const second = await run(rows, { batchSize: 3 });
      const r2 = await second.apply();
      expect(r2.totals.failed).toBe(0);
      expect(r2.attempt).toBe(2);
      const wanted = fault.startsWith('500') ? 'ignored' : 'fixed';
      for (const id of targets) expect((await simError(sim, project, id)).status).toBe(wanted);
      for (const id of targets.slice(0, 6)) {
        expect((await simComments(sim, project, id)).filter((m) => m === `ticket for ${id} (${fault})`)).toHaveLength(
          1,
        );
      }
    });
  }
});
