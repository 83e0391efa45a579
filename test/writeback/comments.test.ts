import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import type { Simulator } from '../../src/sim/index.js';
import { planView, prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { projectsOf, simComments, simError, simErrorIds, simWrites, writeJsonl } from './helpers.js';

/**
 * Nothing twice: a comment is posted once whatever the attempts, the inputs or the journal say, because the plan
 * looks for it on the error (Bugsnag's own state); rows that touch one error twice are a duplicate or a conflict.
 */

let sim: Simulator;
let home: Home;
let cred: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 30 });
  home = await makeHome(sim);
  cred = await home.credential('admin');
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 30);
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
const prepare = (rows: Array<Record<string, unknown>>) =>
  prepareWriteback(home.runtime, cred, writeJsonl(home.home, `c-${++n}.jsonl`, rows));
const apply = async (rows: Array<Record<string, unknown>>) => (await prepare(rows)).apply();
const posts = () => sim.stats().endpoints['POST /projects/{project_id}/errors/{error_id}/comments'] ?? 0;
const count = async (errorId: string, text: string) =>
  (await simComments(sim, project, errorId)).filter((m) => m === text).length;

describe('comments are never posted twice', () => {
  it('the same input applied four times posts its comment once (attempts 3 and 4 used to post again)', async () => {
    const rows = [{ project_id: project, error_id: ids[0], operation: 'comment', message: 'four attempts' }];
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await apply(rows);
      expect(r.attempt).toBe(i + 1);
      outcomes.push(r.rows[0]!.outcome);
    }
    expect(outcomes).toEqual(['applied', 'skipped', 'skipped', 'skipped']);
    expect(posts()).toBe(1);
    expect(await count(ids[0]!, 'four attempts')).toBe(1);
  });

  it('five comments already posted plus one new row: a new input posts only the new one, and the plan says so', async () => {
    const rows = ids.slice(1, 6).map((id, i) => ({
      project_id: project,
      error_id: id,
      operation: 'comment',
      message: `triaged batch ${i}`,
    }));
    expect((await apply(rows)).totals.applied).toBe(5);
    sim.resetStats();
    const more = [...rows, { project_id: project, error_id: ids[6], operation: 'comment', message: 'triaged batch 5' }];
    const s = await prepare(more);
    expect(s.plan.writes).toBe(1);
    const view = planView(s.plan);
    const skip = view.groups.flatMap((g) => g.skip);
    expect(skip.map((k) => k.row)).toEqual([1, 2, 3, 4, 5]);
    for (const k of skip) expect(k.reason).toMatch(/^already on the error \(comment [0-9a-f]{24} by .+ on 20\d\d-/);
    const r = await s.apply();
    expect(r.attempt).toBe(1); // a new input: a new journal, which knows nothing of the first
    expect(r.totals).toEqual({ applied: 1, skipped: 5, failed: 0 });
    expect(posts()).toBe(1);
    for (const [i, id] of ids.slice(1, 7).entries()) expect(await count(id, `triaged batch ${i}`)).toBe(1);
  });

  it('a comment posted by someone else (by hand, another token) is found on the error too', async () => {
    const other = sim.tokens.find((t) => t.role === 'multi-org')!;
    const res = await fetch(`${sim.url}/projects/${project}/errors/${ids[7]}/comments`, {
      method: 'POST',
      headers: { Authorization: `token ${other.token}`, 'X-Version': '2', 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Tracked in T-77' }),
    });
    expect(res.status).toBe(201);
    const author = ((await res.json()) as { collaborator: { name: string } }).collaborator.name;
    sim.resetStats();
    // Line endings and blanks at the ends do not make it another comment (a CSV export adds them).
    const r = await apply([
      { project_id: project, error_id: ids[7], operation: 'comment', message: ' Tracked in T-77\r\n' },
    ]);
    expect(r.rows[0]).toMatchObject({ outcome: 'skipped', message: expect.stringMatching(/^already on the error/) });
    expect(r.rows[0]!.message).toContain(`by ${author}`);
    expect(posts()).toBe(0);
    expect(await count(ids[7]!, 'Tracked in T-77')).toBe(1);
  });

  it('an error with no comment is not listed (comment_count 0): one read for the error, one post', async () => {
    const target = [];
    for (const id of ids.slice(8, 20)) if (!(await simComments(sim, project, id)).length) target.push(id);
    expect(target.length).toBeGreaterThan(0);
    sim.resetStats();
    const s = await prepare([{ project_id: project, error_id: target[0], operation: 'comment', message: 'first!' }]);
    expect(sim.stats().endpoints['GET /projects/{project_id}/errors/{error_id}/comments'] ?? 0).toBe(0);
    expect((await s.apply()).totals.applied).toBe(1);
    expect(await count(target[0]!, 'first!')).toBe(1);
  });

  it('the same comment twice in one input is posted once; the second row is reported as a duplicate', async () => {
    const row = { project_id: project, error_id: ids[20], operation: 'comment', message: 'twice in one file' };
    const r = await apply([row, { ...row }, { ...row, message: 'another one' }]);
    expect(r.rows.map((x) => [x.outcome, x.message])).toEqual([
      ['applied', null],
      ['skipped', 'same change as row 1'],
      ['applied', null],
    ]);
    expect(await count(ids[20]!, 'twice in one file')).toBe(1);
    expect(await count(ids[20]!, 'another one')).toBe(1);
  });
});

describe('rows that touch one error twice', () => {
  it('fix, ignore, fix on one error: refused, naming the rows; nothing sent', async () => {
    const err = await prepare([
      { project_id: project, error_id: ids[21], operation: 'fix' },
      { project_id: project, error_id: ids[21], operation: 'ignore' },
      { project_id: project, error_id: ids[21], operation: 'fix' },
      { project_id: project, error_id: ids[22], operation: 'override_severity', severity: 'info' },
      { project_id: project, error_id: ids[22], operation: 'override_severity', severity: 'error' },
      { project_id: project, error_id: ids[23], operation: 'link_issue', issue_url: 'https://t.example/1' },
      { project_id: project, error_id: ids[23], operation: 'link_issue', issue_url: 'https://t.example/2' },
      { project_id: project, error_id: ids[23], operation: 'unlink_issue' },
    ]).catch((e: unknown) => e);
    expect(isSnagError(err, 'config')).toBe(true);
    const problems = (err as { details: { problems: Array<{ row: number; field: string; message: string }> } }).details
      .problems;
    expect(problems.map((p) => [p.row, p.field])).toEqual([
      [2, 'operation'],
      [5, 'operation'],
      [8, 'operation'],
    ]);
    expect(problems[0]!.message).toMatch(/conflicts with row 1 \(fix\) on error [0-9a-f]{24}.*status/);
    expect(problems[1]!.message).toMatch(/conflicts with row 4 \(override_severity severity=info\)/);
    expect(problems[2]!.message).toMatch(/conflicts with row 6 \(link_issue/);
    expect(simWrites(sim)).toBe(0);
  });

  it('the same change twice (fix, fix): one id in one PATCH, the second row a duplicate', async () => {
    const before = (await simError(sim, project, ids[24]!)).status;
    const r = await apply([
      { project_id: project, error_id: ids[24], operation: 'fix' },
      { project_id: project, error_id: ids[25], operation: 'fix' },
      { project_id: project, error_id: ids[24], operation: 'fix' },
    ]);
    expect(r.rows[2]).toMatchObject({ outcome: 'skipped', message: 'same change as row 1' });
    if (before !== 'fixed') expect(r.rows[0]!.outcome).toBe('applied');
    expect((await simError(sim, project, ids[24]!)).status).toBe('fixed');
    expect(simWrites(sim)).toBeLessThanOrEqual(1);
  });
});
