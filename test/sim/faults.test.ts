import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultSpecError, parseFaultSpec, type Simulator } from '../../src/sim/index.js';
import { ANCHOR, start } from './helpers.js';

/** Faults on demand, by option and at run time; deterministic for a given seed. */
let sim: Simulator;
let project: string;

beforeAll(async () => {
  sim = await start({ seed: 41, anchor: ANCHOR, events: 300 });
  project = sim.info().organizations[0]!.projects[0]!.id;
});
afterAll(() => sim.close());

const raw = (path: string) =>
  fetch(`${sim.url}${path}`, { headers: { Authorization: `token ${sim.tokens[0]!.token}`, 'X-Version': '2' } });

describe('fault spec syntax', () => {
  it('parses every kind, shares as decimals or percentages, durations, path scopes and a seed', () => {
    const s = parseFaultSpec(
      '500:0.1, 502:5%,503:0.01,429:0.2,reset:0.05~/events,truncate:0.05,slow:200ms@0.1,slow:1s,429storm:5s,seed:9',
    );
    expect(s.seed).toBe(9);
    expect(s.items).toEqual([
      { kind: 'status', status: 500, share: 0.1 },
      { kind: 'status', status: 502, share: 0.05 },
      { kind: 'status', status: 503, share: 0.01 },
      { kind: 'status', status: 429, share: 0.2 },
      { kind: 'reset', share: 0.05, path: '/events' },
      { kind: 'truncate', share: 0.05 },
      { kind: 'slow', ms: 200, share: 0.1 },
      { kind: 'slow', ms: 1000, share: 1 },
      { kind: 'storm', ms: 5000, share: 1 },
    ]);
  });

  it.each(['boom:1', '500:2', '500', 'slow:fast', 'reset:-0.1'])('rejects %s', (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
  });
});

describe('injected faults', () => {
  it('5xx answers keep the rate-limit headers and are counted', async () => {
    sim.resetStats();
    for (const status of [500, 502, 503]) {
      sim.setFaults(`${status}:1`);
      const r = await raw('/user/organizations');
      expect(r.status).toBe(status);
      expect(r.headers.get('x-ratelimit-limit')).not.toBeNull();
      await r.text();
    }
    sim.setFaults('');
    expect((await raw('/user/organizations')).status).toBe(200);
    expect(sim.stats().faults).toMatchObject({ 500: 1, 502: 1, 503: 1 });
  });

  it('a share fails about that share of requests, the same ones on every run with the same seed', async () => {
    const pattern = async (s: Simulator) => {
      s.setFaults('500:0.3,503:0.2');
      const out: number[] = [];
      for (let i = 0; i < 60; i++) {
        const r = await fetch(`${s.url}/projects/${project}/errors?per_page=${1 + (i % 3)}`, {
          headers: { Authorization: `token ${s.tokens[0]!.token}` },
        });
        out.push(r.status);
        await r.text();
      }
      s.setFaults('');
      return out;
    };
    const twin = await start({ seed: 41, anchor: ANCHOR, events: 300 });
    try {
      const a = await pattern(sim);
      const b = await pattern(twin);
      expect(a).toEqual(b);
      const failed = a.filter((s) => s !== 200).length;
      expect(failed).toBeGreaterThan(15);
      expect(failed).toBeLessThan(45);
      expect(a.filter((s) => s === 503).length).toBeGreaterThan(0);
    } finally {
      await twin.close();
    }
  });

  it('reset destroys the connection mid-body', async () => {
    sim.setFaults('reset:1');
    await expect(raw(`/projects/${project}/events`).then((r) => r.text())).rejects.toThrow();
    sim.setFaults('');
  });

  it('truncate answers 200 with half a JSON document', async () => {
    sim.setFaults('truncate:1');
    const r = await raw(`/projects/${project}/events`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text.length).toBeGreaterThan(10);
    expect(() => JSON.parse(text) as unknown).toThrow();
    sim.setFaults('');
  });

  it('slow delays answers', async () => {
    sim.setFaults('slow:250ms');
    const t0 = performance.now();
    const r = await raw('/user/organizations');
    await r.text();
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    sim.setFaults('');
  });

  it('a 429 storm answers 429 with Retry-After until it passes or is cleared', async () => {
    sim.resetStats();
    sim.setFaults('429storm:3s');
    for (let i = 0; i < 3; i++) {
      const r = await raw('/user/organizations');
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(3);
      await r.text();
    }
    expect(sim.stats().rateLimited).toBe(3);
    sim.setFaults('');
    expect((await raw('/user/organizations')).status).toBe(200);
  });

  it('a path scope limits a fault to matching paths', async () => {
    sim.setFaults('500:1~/events');
    expect((await raw(`/projects/${project}/events`)).status).toBe(500);
    expect((await raw(`/projects/${project}/errors`)).status).toBe(200);
    sim.setFaults('');
  });

  it('can be set when starting, and changed over the control endpoint', async () => {
    const faulty = await start({ seed: 1, faults: '503:1' });
    try {
      const get = () =>
        fetch(`${faulty.url}/user/organizations`, { headers: { Authorization: `token ${faulty.tokens[0]!.token}` } });
      expect((await get()).status).toBe(503);
      const put = await fetch(`${faulty.url}/__sim/faults`, { method: 'PUT', body: JSON.stringify({ spec: '' }) });
      expect(await put.json()).toEqual({ spec: '' });
      expect((await get()).status).toBe(200);
      const bad = await fetch(`${faulty.url}/__sim/faults`, {
        method: 'PUT',
        body: JSON.stringify({ spec: 'nope:1' }),
      });
      expect(bad.status).toBe(400);
      expect(faulty.faults()).toBe('');
    } finally {
      await faulty.close();
    }
  });
});
