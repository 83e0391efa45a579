import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { login, type Browser } from './helpers.js';
import { type SourcesServer, sourcesServer, startSim } from './sources-helpers.js';

/**
 * A run's log over the real server and the simulator: the run page shows it (folded) with its downloads, and
 * `/runs/{id}/log` serves it as text or JSONL — every stream and partition, the end and the error, no token, no CLI
 * advice.
 */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 3, events: 10 });
  s = await sourcesServer();
  browser = await login(s.app);
});

afterAll(async () => {
  await s?.cleanup();
  await sim?.close();
});

const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });

describe("a run's log", () => {
  it('is shown on the run page and downloadable as text and JSONL', async () => {
    const credential = await s.credential(sim);
    const source = await s.source({
      name: 'logged',
      data_credentials_id: credential,
      source_config: { streams: ['organizations', 'errors'] },
    });
    const good = await s.runToEnd(source.id);
    const run = (await s.api('GET', `/api/runs/${good}`)).json() as {
      streams: Array<{ stream: string; partition: string; records_read: number }>;
    };

    const page = await get(`/runs/${good}`);
    expect(page.body).toContain('data-run-log');
    expect(page.body).toContain(`href="/runs/${good}/log" download`);
    expect(page.body).toContain(`href="/runs/${good}/log?format=jsonl" download`);

    const text = await get(`/runs/${good}/log`);
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.headers['content-disposition']).toBe(`attachment; filename="${good}.log"`);
    const lines = text.body.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^\\S+Z INFO  Run ${good} of "logged" started \\(api; incremental, every stream\\)\\.$`),
    );
    expect(lines.at(-1)).toMatch(/INFO {2}Run succeeded after .*: read \d+, wrote \d+, \d+ requests\.$/);
    // Two lines per stream and partition: started, then how it ended.
    expect(lines).toHaveLength(2 + run.streams.length * 2);
    for (const r of run.streams)
      expect(text.body).toMatch(new RegExp(`${r.stream} for [^\\n]*: ok — read ${r.records_read}, `));
    // Times never go back.
    const times = lines.map((l) => l.split(' ')[0]!);
    expect([...times].sort()).toEqual(times);

    sim.setFaults('500:1');
    const failed = await s.runToEnd(source.id);
    sim.setFaults('');
    const error = ((await s.api('GET', `/api/runs/${failed}`)).json() as { error: { message: string } }).error;
    const jsonl = await get(`/runs/${failed}/log?format=jsonl`);
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(jsonl.headers['content-disposition']).toBe(`attachment; filename="${failed}.jsonl"`);
    const entries = jsonl.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { at: string; level: string; stream: string | null; message: string });
    expect(Object.keys(entries[0]!)).toEqual(['at', 'level', 'stream', 'partition', 'message']);
    expect(entries.some((e) => e.level === 'error' && e.message.startsWith(error.message))).toBe(true);
    expect(entries.some((e) => e.level === 'error' && /^Run failed after/.test(e.message))).toBe(true);

    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    for (const body of [text.body, jsonl.body, page.body]) {
      expect(body).not.toContain(token);
    }
    expect(jsonl.body).not.toMatch(/snagsync (sync|sources|credentials|runs) /);
  });
});
