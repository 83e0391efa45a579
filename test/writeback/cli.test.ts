import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { BIN, runCli } from '../helpers/cli.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { projectsOf, simComments, simError, simErrorIds, simWrites, writeJsonl } from './helpers.js';

let sim: Simulator;
let home: Home;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 40 });
  home = await makeHome(sim);
  await home.credential('admin');
  await home.credential('member');
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 40);
});
afterAll(async () => {
  await home.cleanup();
  await sim.close();
});

const env = () => ({ ...home.env, SNAGSYNC_PROGRESS: 'json' });

describe('snagsync writeback (compiled CLI)', () => {
  it('plan --json changes nothing; apply refuses a discard without --yes off a terminal, then applies with --yes', async () => {
    const input = writeJsonl(home.home, 'cli-1.jsonl', [
      { project_id: project, error_id: ids[0], operation: 'fix' },
      { project_id: project, error_id: ids[1], operation: 'discard' },
    ]);
    sim.resetStats();
    const plan = await runCli(['writeback', 'plan', '--credential', 'sim-admin', '--from', input, '--json'], {
      env: env(),
    });
    expect(plan.code, plan.stderr).toBe(0);
    const view = JSON.parse(plan.stdout) as { rows: number; groups: Array<{ operation: string; change: unknown[] }> };
    expect(view.rows).toBe(2);
    expect(view.groups.map((g) => g.operation)).toEqual(['fix', 'discard']);
    expect(simWrites(sim)).toBe(0);

    const refused = await runCli(['writeback', 'apply', '--credential', 'sim-admin', '--from', input], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/discard 1 error.*Refusing without confirmation/s);
    expect(simWrites(sim)).toBe(0);

    const applied = await runCli(
      ['writeback', 'apply', '--credential', 'sim-admin', '--from', input, '--yes', '--json'],
      { env: env() },
    );
    expect(applied.code, applied.stderr).toBe(0);
    expect((JSON.parse(applied.stdout) as { totals: unknown }).totals).toEqual({ applied: 2, skipped: 0, failed: 0 });
    expect((await simError(sim, project, ids[0]!)).status).toBe('fixed');
    expect((await simError(sim, project, ids[1]!)).discarded).toBe(true);
  });

  it('reads rows from standard input as CSV, and a 403 names the row and exits 11', async () => {
    const mp = projectsOf(sim, 'member')[0]!;
    const [m0] = await simErrorIds(sim, mp, 1);
    const csv = `project_id,error_id,operation\n${mp},${m0},discard\n`;
    const r = await runCli(['writeback', 'apply', '--credential', 'sim-member', '--from', '-', '--yes'], {
      env: env(),
      stdin: csv,
    });
    expect(r.code).toBe(11);
    expect(r.stdout).toMatch(/row 1 \(discard [0-9a-f]{24}\): Bugsnag refused discard \(403\)/);
  });

  it('lists every bad row of JSONL on standard input at once, exits 3 and sends nothing', async () => {
    sim.resetStats();
    const jsonl = [
      JSON.stringify({ project_id: project, error_id: ids[0], operation: 'snooze', reopen_if: 'n_additional_users' }),
      JSON.stringify({ project_id: project, error_id: 'xyz', operation: 'assign' }),
    ].join('\n');
    const r = await runCli(['writeback', 'apply', '--credential', 'sim-admin', '--from', '-', '--yes', '--json'], {
      env: env(),
      stdin: jsonl,
    });
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { details: { problems: Array<{ row: number; field: string }> } };
    expect(out.details.problems.map((p) => `${p.row}:${p.field}`)).toEqual([
      '1:additional_users',
      '2:assignee',
      '2:error_id',
    ]);
    expect(r.stderr).toMatch(/nothing was sent/);
    expect(simWrites(sim)).toBe(0);
  });

  it('the same CSV with one comment applied four times: posted once (attempts 1 and 3 both posted it)', async () => {
    const csv = join(home.home, 'c.csv');
    writeFileSync(
      csv,
      `project_id,error_id,operation,message\n${project},${ids[35]},comment,"Seen in prod, tracked"\n`,
    );
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await runCli(['writeback', 'apply', '--credential', 'sim-admin', '--from', csv, '--yes', '--json'], {
        env: env(),
      });
      expect(r.code, r.stderr).toBe(0);
      outcomes.push((JSON.parse(r.stdout) as { rows: Array<{ outcome: string }> }).rows[0]!.outcome);
    }
    expect(outcomes).toEqual(['applied', 'skipped', 'skipped', 'skipped']);
    expect((await simComments(sim, project, ids[35]!)).filter((m) => m === 'Seen in prod, tracked')).toHaveLength(1);
  });

  it('kill -9 in the middle of an apply, then a rerun: every change once, no comment twice', async () => {
    const targets = ids.slice(10, 30);
    const rows = targets.map((id) => ({
      project_id: project,
      error_id: id,
      operation: 'comment',
      message: `kill test ${id}`,
    }));
    const input = writeJsonl(home.home, 'cli-kill.jsonl', rows);
    sim.resetStats();
    sim.setFaults('slow:150ms~/comments');
    const child = spawn(
      process.execPath,
      [BIN, 'writeback', 'apply', '--credential', 'sim-admin', '--from', input, '--yes'],
      {
        env: { ...process.env, ...env(), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Kill once a few rows are journaled, while a post is in flight (each one waits 150 ms at the simulator).
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = [...err.matchAll(/"done":(\d+)/g)].pop();
        if (m && Number(m[1]) >= 6) resolve();
      });
      child.on('close', () => reject(new Error(`apply ended before it was killed: ${err}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    // The post in flight when the process died still lands at the simulator: wait until it is handled, so the
    // rerun meets the worst case (posted, but never journaled as applied).
    await sim.idle();
    const posted = (await Promise.all(targets.map((id) => simComments(sim, project, id)))).filter((c, i) =>
      c.includes(`kill test ${targets[i]}`),
    ).length;
    expect(posted).toBe(sim.stats().endpoints['POST /projects/{project_id}/errors/{error_id}/comments']);
    sim.setFaults('');
    expect(posted).toBeGreaterThan(0);
    expect(posted).toBeLessThan(targets.length);

    const again = await runCli(
      ['writeback', 'apply', '--credential', 'sim-admin', '--from', input, '--yes', '--json'],
      { env: env() },
    );
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as {
      attempt: number;
      totals: { applied: number; skipped: number; failed: number };
    };
    expect(report.attempt).toBe(2);
    expect(report.totals.failed).toBe(0);
    for (const id of targets)
      expect((await simComments(sim, project, id)).filter((m) => m === `kill test ${id}`)).toHaveLength(1);
    // Three CLI processes and a few hundred requests: more than the default 30 s on a loaded machine.
  }, 120_000);
});
