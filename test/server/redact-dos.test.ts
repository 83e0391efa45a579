import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { TEST_KEY } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/**
 * Issue 19, item 4: one POST with a 60,000-letter value froze every request of the server for a minute (the value
 * was quoted in the error, and the error's redaction was quadratic in a run of letters). Over a real socket: the
 * bad request gets a clear 400 on its field, fast, and a request sent alongside it is answered as fast.
 */
let sim: Simulator;
let s: SourcesServer;
let origin: string;
let credentialId: string;

beforeAll(async () => {
  sim = await startSim();
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
});

const LONG = 'a'.repeat(60_000);
/** Far above what the fixed server needs (a few ms), far below the minute the old code took. */
const QUICK_MS = 3_000;

async function timed(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...init.headers },
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}

const create = (body: Record<string, unknown>) =>
  timed('/api/data_sources', {
    method: 'POST',
    body: JSON.stringify({ name: 'dos', data_credentials_id: credentialId, destination: 'sqlite:dos.db', ...body }),
  });

describe('a huge value in a source', () => {
  it('a 60,000-letter start_date: a 400 naming the field, quoting none of it; a list sent alongside is answered', async () => {
    // Both are on the wire before either is answered: the list waits for the event loop the POST holds, if any.
    const [bad, list] = await Promise.all([
      create({ source_config: { start_date: LONG } }),
      timed('/api/data_sources'),
    ]);
    expect(bad.status, bad.body.slice(0, 500)).toBe(400);
    const err = JSON.parse(bad.body) as { message: string; field: string };
    expect(err.field).toBe('source_config.start_date');
    expect(err.message).toBe('start_date: too long (60,000 characters; at most 100).');
    expect(bad.body).not.toContain('a'.repeat(100));
    expect(bad.body.length).toBeLessThan(2_000);
    expect(list.status, list.body).toBe(200);
    expect(bad.ms).toBeLessThan(QUICK_MS);
    expect(list.ms).toBeLessThan(QUICK_MS);
  });

  it('a 60,000-letter name: a 400 naming the field, quickly', async () => {
    const [bad, list] = await Promise.all([create({ name: LONG }), timed('/api/data_sources')]);
    expect(bad.status, bad.body.slice(0, 500)).toBe(400);
    const err = JSON.parse(bad.body) as { message: string; field: string };
    expect(err.field).toBe('name');
    expect(err.message).toMatch(/name is 60000 characters long; at most 100/);
    expect(bad.body).not.toContain('a'.repeat(100));
    expect(list.status).toBe(200);
    expect(bad.ms).toBeLessThan(QUICK_MS);
    expect(list.ms).toBeLessThan(QUICK_MS);
  });

  it('60,000 letters in a filter, a project id, the schedule, the destination, the credential: each a 400 on its field', async () => {
    for (const [body, field] of [
      [{ source_config: { filters: [`app.release_stage=${LONG}`] } }, 'source_config.filters'],
      [{ source_config: { projects: [LONG] } }, 'source_config.projects'],
      [{ poll_schedule: LONG }, 'poll_schedule'],
      [{ destination: `sqlite:${LONG}` }, 'destination'],
      [{ data_credentials_id: LONG }, 'data_credentials_id'],
    ] as const) {
      const bad = await create(body);
      expect(bad.status, bad.body.slice(0, 500)).toBe(400);
      const err = JSON.parse(bad.body) as { message: string; field: string };
      expect(err.field).toBe(field);
      expect(err.message).toMatch(/too long \(60,0\d\d characters; at most \d/);
      expect(bad.body).not.toContain('a'.repeat(100));
      expect(bad.ms).toBeLessThan(QUICK_MS);
    }
  });
});
