import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { tempDir } from '../store/helpers.js';
import { testServer, type TestServer } from './helpers.js';
import { startSim } from './sources-helpers.js';
import { rows, until, webhookSource } from './webhooks-helpers.js';

/**
 * The simulator's webhook sender (written from the same page by someone else) posting to a real `serve` on loopback:
 * what it sends for new events becomes the event and error rows the simulator's own Data Access API describes.
 */

let sim: Simulator;
let s: TestServer;
let base: string;
let data: { dir: string; cleanup: () => void };

beforeAll(async () => {
  sim = await startSim({ projects: 1, errors: 3, events: 20 });
  s = await testServer();
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
  data = tempDir('snagsync-webhook-sim-');
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
  data.cleanup();
});

describe("the simulator's webhooks into serve", () => {
  it('new events arrive as rows: the event ids, their errors and receipt times the simulator gave them', async () => {
    const org = sim.info().organizations[0]!;
    const project = org.projects[0]!.id;
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const src = await webhookSource(s.runtime, data.dir, { projects: [project], streams: ['errors', 'events'] });
    sim.webhooks.add({ url: `${base}${src.path}`, triggers: ['firstException', 'exception'], project_id: project });
    const added = [
      ...sim.addEvents({ projectId: project, count: 4 }),
      ...sim.addErrors({ projectId: project, count: 1, eventsPerError: 2 }).flatMap((e) => e.events),
    ];
    await sim.idle();
    const events = await until('every event row', async () => {
      const r = await rows(src.destination, 'events');
      return r.length === added.length ? r : null;
    });
    const key = (e: { id?: unknown; error_id?: unknown; received_at?: unknown }) =>
      `${String(e.id)} ${String(e.error_id)} ${Date.parse(String(e.received_at))}`;
    expect(events.map(key).sort()).toEqual(added.map(key).sort());
    const errors = await rows(src.destination, 'errors');
    expect(errors.map((e) => e.id).sort()).toEqual([...new Set(added.map((e) => e.error_id))].sort());
    for (const e of errors) {
      const newest = Math.max(...added.filter((a) => a.error_id === e.id).map((a) => Date.parse(a.received_at)));
      expect(Date.parse(String(e.last_seen_unfiltered))).toBe(newest);
      // The status the simulator's Data Access API gives the error now.
      const api = await fetch(`${sim.url}/projects/${project}/errors/${String(e.id)}`, {
        headers: { authorization: `token ${admin}`, 'x-version': '2' },
      });
      expect(e).toMatchObject({ project_id: project, status: ((await api.json()) as { status: string }).status });
    }
    const counts = await s.runtime.store.webhooks.counts(src.sourceId, 5);
    expect(counts.failed).toBe(0);
    expect(counts.received).toBeGreaterThanOrEqual(added.length);
  });
});
