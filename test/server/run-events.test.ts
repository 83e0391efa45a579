import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer } from '../../src/server/app.js';
import type { Simulator } from '../../src/sim/index.js';
import { keyHeaders, TEST_KEY } from './helpers.js';
import { parseSse, readSse, sourcesServer, startSim, type SourcesServer, type SseMessage } from './sources-helpers.js';

/**
 * `/api/runs/{id}/events` read from a real listening server with fetch (inject does not stream): sequence ids,
 * event types, heartbeats, the end of the stream after run-done, resuming with Last-Event-ID, a finished run, a
 * run of another process, and the server closing open streams.
 */

const WINDOW_MS = 200;
let sim: Simulator;
let s: SourcesServer;
let base: string;
let credentialId: string;

beforeAll(async () => {
  // A rate limit of 4 requests per 200 ms window: a sync of ~25 requests takes over a second, with waits.
  sim = await startSim({ rateLimit: 4, rateWindowMs: WINDOW_MS, projects: 2, events: 120 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer({
    env: { SNAGSYNC_RATE_WINDOW_MS: String(WINDOW_MS) },
    sse: { heartbeatMs: 40, pollMs: 50 },
  });
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
  sim.resetStats();
  credentialId = await s.credential(sim);
});
afterEach(async () => {
  // fetch keeps spare connections that never carried a request; the server would wait for them to time out.
  s.app.server.closeAllConnections();
  await s.cleanup();
});

const events = (url: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${base}${url}`, { headers: { ...keyHeaders(), ...headers }, ...(signal ? { signal } : {}) });

async function startRun(streams = ['errors', 'events', 'releases']): Promise<string> {
  const source = await s.source({
    name: `src-${Math.random().toString(36).slice(2, 8)}`,
    data_credentials_id: credentialId,
    source_config: { streams },
  });
  const res = await s.api('POST', `/api/data_sources/${source.id}/runs`);
  expect(res.statusCode, res.body).toBe(202);
  return res.json().run_id as string;
}

const withIds = (ms: SseMessage[]) => ms.filter((m) => m.id !== undefined);

/** Reads messages until `stop` says so, then aborts the request (a browser tab closing, a dropped connection). */
async function readUntil(
  url: string,
  stop: (m: SseMessage[]) => boolean,
  headers: Record<string, string> = {},
): Promise<SseMessage[]> {
  const controller = new AbortController();
  const res = await events(url, headers, controller.signal);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
      if (stop(parseSse(complete))) return parseSse(complete);
    }
    return parseSse(text);
  } finally {
    controller.abort();
  }
}

describe('run progress over server-sent events', () => {
  it('streams every event of a live run with increasing ids and heartbeats, and ends after run-done', async () => {
    const id = await startRun();
    const res = await events(`/api/runs/${id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const messages = await readSse(res); // resolves only because the server ends the stream
    expect(messages[0]!.retry).toBe(2000);
    const evs = withIds(messages);
    expect(evs[0]).toMatchObject({ id: 1, event: 'run-start' });
    const ids = evs.map((m) => m.id!);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    for (const m of evs) {
      expect(m.data!.type).toBe(m.event);
      expect(m.data!.seq).toBe(m.id);
      expect(m.data!.runId).toBe(id);
    }
    const last = evs[evs.length - 1]!;
    expect(last.event).toBe('run-done');
    expect(last.data).toMatchObject({ status: 'succeeded', summary: { run_id: id, status: 'succeeded' } });
    const types = new Set(evs.map((m) => m.event));
    for (const t of ['plan', 'stream-start', 'page', 'rate-limit-wait', 'stream-done']) expect(types, t).toContain(t);
    // The run lasted long enough for quiet moments: heartbeat comments kept the connection alive.
    expect(messages.some((m) => m.comment === 'heartbeat')).toBe(true);
    // Each stream's last page agrees with its stream-done, and pages carry the X-Total-Count estimate.
    const eventsPages = evs.filter((m) => m.event === 'page' && m.data!.stream === 'events');
    expect(eventsPages.length).toBeGreaterThan(0);
    expect(eventsPages.every((m) => typeof m.data!.estimate === 'number')).toBe(true);
    for (const done of evs.filter((m) => m.event === 'stream-done')) {
      const pages = evs.filter(
        (m) => m.event === 'page' && m.data!.stream === done.data!.stream && m.data!.partition === done.data!.partition,
      );
      if (pages.length) expect(pages[pages.length - 1]!.data!.recordsRead).toBe(done.data!.recordsRead);
    }
    // stream-start names its project (an added field; the others are as they were).
    const starts = evs.filter((m) => m.event === 'stream-start');
    expect(starts.length).toBeGreaterThan(0);
    for (const m of starts) {
      expect(Object.keys(m.data!).sort()).toEqual([
        'at',
        'mode',
        'partition',
        'partitionLabel',
        'resumed',
        'runId',
        'seq',
        'stream',
        'type',
      ]);
      const org = sim
        .info()
        .organizations.find((o) => o.projects.some((p) => `project:${p.id}` === m.data!.partition))!;
      const project = org.projects.find((p) => `project:${p.id}` === m.data!.partition)!;
      expect(m.data!.partitionLabel).toBe(`${project.name} (${org.name})`);
    }
    const summary = last.data!.summary as { totals: { records_read: number } };
    const run = (await s.api('GET', `/api/runs/${id}`)).json();
    expect(summary.totals.records_read).toBe(run.totals.records_read);
  });

  it('resumes after Last-Event-ID mid-run: nothing repeated, nothing of note lost, the end included', async () => {
    const id = await startRun();
    const first = await readUntil(
      `/api/runs/${id}/events`,
      (ms) => withIds(ms).filter((m) => m.event === 'page').length >= 2,
    );
    const lastSeen = withIds(first).at(-1)!.id!;
    expect(withIds(first).some((m) => m.event === 'run-done')).toBe(false);
    const rest = withIds(await readSse(await events(`/api/runs/${id}/events`, { 'last-event-id': String(lastSeen) })));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((m) => m.id! > lastSeen)).toBe(true);
    expect(rest.at(-1)!.event).toBe('run-done');
    // Every stream that finished after the break is reported in the second part.
    const doneKeys = (ms: SseMessage[]) =>
      ms.filter((m) => m.event === 'stream-done').map((m) => `${m.data!.stream}|${m.data!.partition}`);
    const all = [...doneKeys(withIds(first)), ...doneKeys(rest)];
    const run = (await s.api('GET', `/api/runs/${id}`)).json();
    expect(all.sort()).toEqual(
      run.streams.map((r: { stream: string; partition: string }) => `${r.stream}|${r.partition}`).sort(),
    );
  });

  it('a finished run replays its history from any point (header or query), and answers 204 past the end', async () => {
    const id = await startRun(['errors']);
    await s.app.snag.runs.get(id)!.handle.done;
    const full = withIds(await readSse(await events(`/api/runs/${id}/events`)));
    const doneId = full.at(-1)!.id!;
    expect(full.at(-1)!.event).toBe('run-done');
    const mid = full[Math.floor(full.length / 2)]!.id!;
    const fromHeader = withIds(await readSse(await events(`/api/runs/${id}/events`, { 'last-event-id': String(mid) })));
    const fromQuery = withIds(await readSse(await events(`/api/runs/${id}/events?last_event_id=${mid}`)));
    expect(fromHeader.map((m) => m.id)).toEqual(full.filter((m) => m.id! > mid).map((m) => m.id));
    expect(fromQuery.map((m) => m.id)).toEqual(fromHeader.map((m) => m.id));
    const past = await events(`/api/runs/${id}/events`, { 'last-event-id': String(doneId) });
    expect(past.status).toBe(204);
    const bad = await events(`/api/runs/${id}/events`, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(400);
  });

  it('a run this server never ran (a restart, another process) ends with run-done from the history', async () => {
    const id = await startRun(['errors']);
    await s.app.snag.runs.get(id)!.handle.done;
    // A second server over the same home knows the run only from the store.
    const runtime = openRuntime({ home: s.home, env: {} });
    const other = await sourcesServerOver(runtime);
    try {
      const messages = withIds(
        await readSse(await fetch(`${other.url}/api/runs/${id}/events`, { headers: keyHeaders() })),
      );
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({
        id: 1,
        event: 'run-done',
        data: { status: 'succeeded', summary: { id, status: 'succeeded' } },
      });
      expect(
        (await fetch(`${other.url}/api/runs/${id}/events`, { headers: { ...keyHeaders(), 'last-event-id': '1' } }))
          .status,
      ).toBe(204);
    } finally {
      await other.close();
      await runtime.close();
    }
  });

  it('a run of another process sends snapshots from the store until it ends', async () => {
    const source = await s.source({
      name: 'external',
      data_credentials_id: credentialId,
      source_config: { streams: ['errors'] },
    });
    const run = await s.runtime.store.runs.create({ source_id: source.id, trigger: 'cli' });
    const snapshots = await readUntil(
      `/api/runs/${run.id}/events`,
      (ms) => ms.filter((m) => m.event === 'snapshot').length >= 2,
    );
    expect(snapshots.filter((m) => m.event === 'snapshot')[0]!.data).toMatchObject({
      type: 'snapshot',
      run: { id: run.id, status: 'running', live: false },
    });
    const res = await events(`/api/runs/${run.id}/events`);
    const reading = readSse(res);
    await s.runtime.store.runs.finish(run.id, { status: 'succeeded' });
    const messages = withIds(await reading);
    expect(messages.at(-1)).toMatchObject({ event: 'run-done', data: { status: 'succeeded' } });
  });

  it('closing the server ends open streams and cancels the runs it executes (recorded, not left running)', async () => {
    const id = await startRun();
    const res = await events(`/api/runs/${id}/events`);
    const reading = readSse(res);
    await s.app.close();
    const messages = withIds(await reading);
    expect(messages.at(-1)).toMatchObject({ event: 'run-done', data: { status: 'cancelled' } });
    expect((await s.runtime.store.runs.findById(id)).status).toBe('cancelled');
  });
});

async function sourcesServerOver(runtime: Runtime): Promise<{ url: string; close(): Promise<void> }> {
  const app = await buildServer({ runtime, apiKey: TEST_KEY, logger: createLogger(process.stderr, 'silent') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}
