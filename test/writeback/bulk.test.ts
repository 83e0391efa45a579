import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { BULK_BATCH, prepareWriteback } from '../../src/writeback/index.js';
import { makeHome, startSim, type Home } from '../engine/helpers.js';
import { projectsOf, simErrorIds, simWrites, writeJsonl } from './helpers.js';

let sim: Simulator;
let home: Home;

beforeAll(async () => {
  sim = await startSim({ errors: 1700, events: 20_000 });
  home = await makeHome(sim);
});
afterAll(async () => {
  await home.cleanup();
  await sim.close();
});

describe('bulk write-back', () => {
  it('5,000 rows over 3 projects make at most ⌈rows per (project, operation) / batch⌉ write requests', async () => {
    const cred = await home.credential('admin');
    const projects = projectsOf(sim).slice(0, 3);
    const ops = ['fix', 'ignore'] as const;
    const rows: Array<Record<string, unknown>> = [];
    for (const p of projects) {
      for (const [i, id] of (await simErrorIds(sim, p, 1667)).entries()) {
        if (rows.length < 5000) rows.push({ project_id: p, error_id: id, operation: ops[i % 2] });
      }
    }
    expect(rows).toHaveLength(5000);
    const perGroup = new Map<string, number>();
    for (const r of rows)
      perGroup.set(`${r.project_id}/${r.operation}`, (perGroup.get(`${r.project_id}/${r.operation}`) ?? 0) + 1);
    const bound = [...perGroup.values()].reduce((n, c) => n + Math.ceil(c / BULK_BATCH), 0);

    const s = await prepareWriteback(home.runtime, cred, writeJsonl(home.home, 'bulk.jsonl', rows));
    sim.resetStats();
    const report = await s.apply();
    expect(report.totals.failed).toBe(0);
    expect(report.totals.applied + report.totals.skipped).toBe(5000);
    const writes = simWrites(sim);
    expect(writes).toBeLessThanOrEqual(bound);
    expect(writes).toBe(report.writes);
    expect(sim.stats().endpoints['PATCH /projects/{project_id}/errors/{error_id}'] ?? 0).toBeLessThanOrEqual(
      perGroup.size,
    );
  }, 120_000);
});
