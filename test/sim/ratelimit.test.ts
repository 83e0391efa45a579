import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/** Per-token fixed windows: budget headers on every answer that was not limited, 429 + Retry-After past it. */
let sim: Simulator;

beforeAll(async () => {
  // A long window, so no window boundary can fall inside a test; resetStats() starts every test with a fresh budget.
  sim = await start({ seed: 31, anchor: ANCHOR, events: 100, rateLimit: 3, rateWindowMs: 60_000 });
});
afterAll(() => sim.close());

describe('rate limits', () => {
  it('counts down X-Ratelimit-Remaining, then answers 429 with Retry-After in whole seconds', async () => {
    sim.resetStats();
    const c = api(sim, sim.tokens[0]!.token);
    const seen: Array<[number, string | null, string | null]> = [];
    for (let i = 0; i < 3; i++) {
      // A 404 costs budget like any other answer, and carries the headers too.
      const r = await c.get(i === 1 ? '/projects/000000000000000000000000' : '/user/organizations');
      seen.push([r.status, r.headers.get('x-ratelimit-limit'), r.headers.get('x-ratelimit-remaining')]);
    }
    expect(seen).toEqual([
      [200, '3', '2'],
      [404, '3', '1'],
      [200, '3', '0'],
    ]);
    const limited = await c.get('/user/organizations');
    expect(limited.status).toBe(429);
    const retry = limited.headers.get('retry-after');
    expect(retry).toMatch(/^\d+$/);
    expect(Number(retry)).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-remaining')).toBeNull();
    expect(sim.stats().rateLimited).toBe(1);
    expect(sim.stats().byToken.admin!.rateLimited).toBe(1);
  });

  it('keeps a separate budget per token', async () => {
    sim.resetStats();
    const a = api(sim, sim.tokens[0]!.token);
    const b = api(sim, sim.tokens[1]!.token);
    for (let i = 0; i < 3; i++) expect((await a.get('/user/organizations')).status).toBe(200);
    expect((await a.get('/user/organizations')).status).toBe(429);
    const other = await b.get('/user/organizations');
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('gives a fresh budget when the (scaled-down) window ends', async () => {
    const fast = await start({ seed: 32, anchor: ANCHOR, events: 100, rateLimit: 3, rateWindowMs: 300 });
    try {
      const c = api(fast, fast.tokens[2]!.token);
      let r = await c.get('/user/organizations');
      while (r.status !== 429) r = await c.get('/user/organizations');
      // Poll until the next 300 ms window starts (bounded); the first answer of a window has 2 left.
      const deadline = Date.now() + 3000;
      do {
        await new Promise((resolve) => setTimeout(resolve, 20));
        r = await c.get('/user/organizations');
      } while (r.status === 429 && Date.now() < deadline);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-remaining')).toBe('2');
      expect(fast.stats().rateLimited).toBeGreaterThanOrEqual(1);
    } finally {
      await fast.close();
    }
  });
});
