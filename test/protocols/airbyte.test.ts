import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { Simulator } from '../../src/sim/index.js';
import { getStream, recordKeyOf } from '../../src/streams/catalog.js';
import { startSim } from '../engine/helpers.js';
import { runCli } from '../helpers/cli.js';
import {
  adminToken,
  CLI_ENV,
  configuredCatalog,
  invalidMessages,
  jsonLines,
  workdir,
  type Workdir,
} from './helpers.js';

/**
 * `snagsync airbyte …` as the Airbyte platform runs it: the compiled CLI, its stdout parsed line by line, every
 * message validated against the protocol's own schema, against the simulator over loopback.
 */
let sim: Simulator;
let w: Workdir;
let env: NodeJS.ProcessEnv;
let config: string;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 2, errors: 25, events: 400, releases: 6 });
  w = workdir();
  env = { ...CLI_ENV, SNAGSYNC_HOME: join(w.dir, 'home-not-used') };
  config = w.file('config.json', { token: adminToken(sim), host: sim.url });
}, 60_000);

afterAll(async () => {
  w?.cleanup();
  await sim?.close();
});

async function airbyte(args: string[]) {
  const r = await runCli(['airbyte', ...args], { env });
  const messages = jsonLines(r.stdout);
  expect(r.stdout).not.toContain(adminToken(sim));
  expect(r.stderr).not.toContain(adminToken(sim));
  return { ...r, messages };
}

describe('airbyte spec and discover', () => {
  it('spec: one SPEC whose connectionSpecification comes from the source configuration, the token a secret', async () => {
    const { code, messages } = await airbyte(['spec']);
    expect(code).toBe(0);
    expect(invalidMessages(messages)).toEqual([]);
    expect(messages.map((m) => m.type)).toEqual(['SPEC']);
    const cs = (
      messages[0]!.spec as {
        connectionSpecification: { properties: Record<string, Record<string, unknown>>; required: string[] };
      }
    ).connectionSpecification;
    expect(cs.required).toEqual(['token']);
    expect(cs.properties.token!.airbyte_secret).toBe(true);
    expect(cs.properties.host!.default).toBe('https://api.bugsnag.com');
    // Options declared by the engine and by streams both appear: the declaration is shared, not copied.
    for (const k of ['organizations', 'projects', 'start_date', 'filters', 'lookback', 'full_reports'])
      expect(cs.properties, k).toHaveProperty(k);
    expect(cs.properties).not.toHaveProperty('streams');
    // The schema itself is a schema Airbyte's form builder (draft-07) can compile.
    expect(() => new Ajv({ strict: false }).compile(cs)).not.toThrow();
  });

  it('discover: every stream with a compilable JSON Schema, its key, cursor and sync modes', async () => {
    const { code, messages } = await airbyte(['discover', '--config', config]);
    expect(code).toBe(0);
    expect(invalidMessages(messages)).toEqual([]);
    const catalog = (messages.find((m) => m.type === 'CATALOG')!.catalog as { streams: Array<Record<string, unknown>> })
      .streams;
    const list = JSON.parse((await runCli(['streams', '--json'], { env })).stdout) as Array<{
      name: string;
      primary_key: string[];
      sync_modes: string[];
      cursor: { field: string } | null;
    }>;
    expect(catalog.map((s) => s.name)).toEqual(list.map((s) => s.name));
    for (const s of list) {
      const a = catalog.find((c) => c.name === s.name)!;
      expect(a.supported_sync_modes, s.name).toEqual(s.sync_modes);
      // The key as record fields (trends' key column bucket_start is Bugsnag's field `from`), each in the schema.
      expect(a.source_defined_primary_key, s.name).toEqual(recordKeyOf(getStream(s.name)).map((k) => [k]));
      for (const [k] of a.source_defined_primary_key as string[][])
        expect(
          (a.json_schema as { properties: Record<string, unknown> }).properties[k!],
          `${s.name}.${k}`,
        ).toBeDefined();
      expect(a.default_cursor_field, s.name).toEqual(s.cursor ? [s.cursor.field] : undefined);
      expect(() => new Ajv({ strict: false }).compile(a.json_schema as object), s.name).not.toThrow();
    }
  });
});

describe('airbyte read', () => {
  it('a full read: every message valid, every record valid against its catalog schema, statuses from STARTED to COMPLETE', async () => {
    const { messages: discovered } = await airbyte(['discover', '--config', config]);
    const schemas = new Map(
      (discovered[0]!.catalog as { streams: Array<{ name: string; json_schema: object }> }).streams.map((s) => [
        s.name,
        s.json_schema,
      ]),
    );
    const chosen: Array<[string, 'full_refresh' | 'incremental']> = [
      ['organizations', 'full_refresh'],
      ['projects', 'full_refresh'],
      ['errors', 'incremental'],
      ['comments', 'incremental'],
      ['events', 'incremental'],
      ['releases', 'full_refresh'],
      ['event_fields', 'full_refresh'],
    ];
    const catalog = w.file('catalog-full.json', configuredCatalog(chosen));
    const { code, messages, stderr } = await airbyte(['read', '--config', config, '--catalog', catalog]);
    expect(code, stderr).toBe(0);
    expect(invalidMessages(messages)).toEqual([]);

    const ajv = new Ajv({ strict: false, allErrors: true });
    const validators = new Map([...schemas].map(([n, s]) => [n, ajv.compile(s)]));
    const records = messages
      .filter((m) => m.type === 'RECORD')
      .map((m) => m.record as { stream: string; data: object });
    const bad = records
      .filter((r) => !validators.get(r.stream)!(r.data))
      .map((r) => `${r.stream}: ${JSON.stringify(validators.get(r.stream)!.errors?.slice(0, 2))}`);
    expect(bad.slice(0, 5)).toEqual([]);
    const perStream = new Map<string, number>();
    for (const r of records) perStream.set(r.stream, (perStream.get(r.stream) ?? 0) + 1);
    expect(perStream.get('events')).toBe(2 * 400);
    expect(perStream.get('errors')).toBe(2 * 25);
    for (const [name] of chosen) expect(perStream.get(name) ?? 0, name).toBeGreaterThan(0);

    // Each stream: STARTED before its first record, COMPLETE at the end; a STATE after the last record of each.
    const statuses = messages
      .filter((m) => m.type === 'TRACE' && (m.trace as { type: string }).type === 'STREAM_STATUS')
      .map(
        (m) => (m.trace as { stream_status: { stream_descriptor: { name: string }; status: string } }).stream_status,
      );
    for (const [name] of chosen) {
      const own = statuses.filter((s) => s.stream_descriptor.name === name).map((s) => s.status);
      expect(own[0], name).toBe('STARTED');
      expect(own.at(-1), name).toBe('COMPLETE');
      const firstRecord = messages.findIndex(
        (m) => m.type === 'RECORD' && (m.record as { stream: string }).stream === name,
      );
      const started = messages.findIndex(
        (m) =>
          m.type === 'TRACE' &&
          JSON.stringify(m).includes(`"status":"STARTED"`) &&
          JSON.stringify(m).includes(`"name":"${name}"`),
      );
      expect(started, name).toBeLessThan(firstRecord);
      const lastRecord = messages.findLastIndex(
        (m) => m.type === 'RECORD' && (m.record as { stream: string }).stream === name,
      );
      const lastState = messages.findLastIndex(
        (m) =>
          m.type === 'STATE' &&
          (m.state as { stream: { stream_descriptor: { name: string } } }).stream.stream_descriptor.name === name,
      );
      expect(lastState, name).toBeGreaterThan(lastRecord);
    }
    // X-Total-Count becomes ESTIMATE traces; the events estimate ends at the number of events served.
    const estimates = messages
      .filter((m) => m.type === 'TRACE' && (m.trace as { type: string }).type === 'ESTIMATE')
      .map((m) => (m.trace as { estimate: { name: string; row_estimate: number } }).estimate);
    expect(estimates.filter((e) => e.name === 'events').at(-1)?.row_estimate).toBe(2 * 400);
    // Per-partition state inside the per-stream state.
    const eventsState = messages.findLast((m) => m.type === 'STATE' && JSON.stringify(m).includes('"name":"events"'))!
      .state as { stream: { stream_state: { partitions: Record<string, unknown> } } };
    expect(Object.keys(eventsState.stream.stream_state.partitions).sort()).toEqual(
      sim
        .info()
        .organizations[0]!.projects.map((p) => `project:${p.id}`)
        .sort(),
    );
    expect(existsSync(env.SNAGSYNC_HOME!)).toBe(false);
  }, 120_000);

  it('a bad catalog is a config_error trace and exit code 1, not a stack trace', async () => {
    const catalog = w.file('catalog-bad.json', configuredCatalog([['nonsense', 'incremental']]));
    const { code, messages } = await airbyte(['read', '--config', config, '--catalog', catalog]);
    expect(code).toBe(1);
    expect(invalidMessages(messages)).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      type: 'TRACE',
      trace: { type: 'ERROR', error: { failure_type: 'config_error' } },
    });
    expect(JSON.stringify(messages[0])).toContain('nonsense');
  });
});

describe('airbyte check', () => {
  async function check(cfg: Record<string, unknown>) {
    const { code, messages } = await airbyte(['check', '--config', w.file(`check-${Math.random()}.json`, cfg)]);
    expect(code).toBe(0);
    expect(invalidMessages(messages)).toEqual([]);
    const status = messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus as {
      status: string;
      message?: string;
    };
    const error = messages.find((m) => m.type === 'TRACE')?.trace as
      | { error: { failure_type: string; message: string } }
      | undefined;
    return { status, error, messages };
  }

  it('a working token: SUCCEEDED', async () => {
    const { status, error } = await check({ token: adminToken(sim), host: sim.url });
    expect(status.status).toBe('SUCCEEDED');
    expect(error).toBeUndefined();
  });

  it('a bad token: FAILED with the message `credentials add` gives, a config_error', async () => {
    const token = 'f'.repeat(40);
    const { status, error } = await check({ token, host: sim.url });
    expect(status.status).toBe('FAILED');
    expect(error?.error.failure_type).toBe('config_error');
    const cli = await runCli(['credentials', 'add', '--name', 'x', '--host', sim.url, '--token-stdin'], {
      env: { ...env, SNAGSYNC_HOME: join(w.dir, 'cli-home') },
      stdin: token,
    });
    expect(cli.code).not.toBe(0);
    const firstLine = cli.stderr
      .split('\n')
      .find((l) => l.startsWith('snagsync: '))!
      .replace(/^snagsync: (error: )?/, '');
    expect(firstLine.length).toBeGreaterThan(10);
    expect(status.message).toContain(firstLine);
  });

  it('a project notifier API key: FAILED, a config_error that says it is a project key', async () => {
    const key = sim.info().organizations[0]!.projects[0]!.api_key;
    const { status, error } = await check({ token: key, host: sim.url });
    expect(status.status).toBe('FAILED');
    expect(error?.error.failure_type).toBe('config_error');
    expect(status.message).toMatch(/project API key/);
    expect(status.message).not.toContain(key);
  });

  it('a config the engine refuses (no token, a start date it cannot read): FAILED, a config_error naming the field', async () => {
    const none = await check({ host: sim.url });
    expect(none.status).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/^token: /) });
    expect(none.error?.error.failure_type).toBe('config_error');
    const date = await check({ token: adminToken(sim), host: sim.url, start_date: 'yesterdayish' });
    expect(date.status).toMatchObject({
      status: 'FAILED',
      message: expect.stringMatching(/^start_date: "yesterdayish" is not a time/),
    });
    expect(date.error?.error.failure_type).toBe('config_error');
  });

  it('an unreachable host (a closed loopback port): FAILED, a transient_error', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { status, error } = await check({ token: adminToken(sim), host: `http://127.0.0.1:${port}` });
    expect(status.status).toBe('FAILED');
    expect(error?.error.failure_type).toBe('transient_error');
    expect(status.message).toMatch(/unreachable|connect/i);
  });
});

describe('airbyte read: failures and waits as messages', () => {
  it('a token Bugsnag refuses: a config_error trace, every stream INCOMPLETE, exit code 1', async () => {
    const bad = w.file('config-bad.json', { token: 'e'.repeat(40), host: sim.url });
    const catalog = w.file('catalog-events.json', configuredCatalog([['events', 'incremental']]));
    const { code, messages } = await airbyte(['read', '--config', bad, '--catalog', catalog]);
    expect(code).toBe(1);
    expect(invalidMessages(messages)).toEqual([]);
    expect(messages.filter((m) => m.type === 'RECORD')).toEqual([]);
    expect(messages.at(-1)).toMatchObject({
      type: 'TRACE',
      trace: { type: 'ERROR', error: { failure_type: 'config_error' } },
    });
    expect(JSON.stringify(messages)).toContain('"status":"INCOMPLETE"');
    expect(JSON.stringify(messages)).not.toContain('e'.repeat(40));
  });

  it('waiting for the rate limit: STREAM_STATUS RUNNING with a RATE_LIMITED reason and the quota reset time', async () => {
    // A budget of 4 requests a second: the read needs more, so the engine's limiter waits for the next window.
    const slow = await startSim({
      orgs: 1,
      projects: 1,
      errors: 5,
      events: 120,
      releases: 2,
      rateLimit: 4,
      rateWindowMs: 1000,
    });
    try {
      const cfg = w.file('config-slow.json', { token: adminToken(slow), host: slow.url });
      const catalog = w.file('catalog-slow.json', configuredCatalog([['events', 'incremental']]));
      const r = await runCli(['airbyte', 'read', '--config', cfg, '--catalog', catalog], {
        env: { ...env, SNAGSYNC_RATE_WINDOW_MS: '1000' },
      });
      expect(r.code, r.stderr).toBe(0);
      const messages = jsonLines(r.stdout);
      expect(invalidMessages(messages)).toEqual([]);
      const limited = messages
        .filter((m) => m.type === 'TRACE' && JSON.stringify(m).includes('RATE_LIMITED'))
        .map(
          (m) =>
            m.trace as {
              emitted_at: number;
              stream_status: { status: string; reasons: Array<{ rate_limited: { quota_reset: number } }> };
            },
        );
      expect(limited.length).toBeGreaterThan(0);
      for (const t of limited) {
        expect(t.stream_status.status).toBe('RUNNING');
        const reset = t.stream_status.reasons[0]!.rate_limited.quota_reset;
        expect(reset).toBeGreaterThan(t.emitted_at - 1000);
        expect(reset).toBeLessThan(t.emitted_at + 5000);
      }
      expect(messages.filter((m) => m.type === 'RECORD')).toHaveLength(120);
    } finally {
      await slow.close();
    }
  }, 60_000);
});
