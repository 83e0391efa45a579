import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer, type BuildServerOptions } from '../../src/server/app.js';
import type { Simulator } from '../../src/sim/index.js';
import { startSimulator, type SimulatorOptions } from '../../src/sim/index.js';
import { tempDir } from '../store/helpers.js';
import { keyHeaders, TEST_KEY, type Browser } from './helpers.js';

/**
 * For the sources, runs and overview suites: a server over a fresh home whose runtime has an environment of its own
 * (SNAGSYNC_RATE_WINDOW_MS to pace syncs against a simulator with a scaled-down rate window), a credential and
 * sources made through the API, and a way to wait for a run this server executes.
 */

export const ANCHOR = '2026-01-15T00:00:00Z';

export function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({
    anchor: ANCHOR,
    rateLimit: 1_000_000,
    orgs: 1,
    projects: 2,
    errors: 3,
    events: 40,
    releases: 2,
    ...options,
  });
}

export interface SourcesServer {
  app: FastifyInstance;
  runtime: Runtime;
  home: string;
  logs: string[];
  api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  /** Creates a credential for the simulator's admin token (verified); returns its id. */
  credential(sim: Simulator, name?: string): Promise<string>;
  /** Creates a source through the API; returns the resource. */
  source(
    body: Record<string, unknown>,
  ): Promise<{ id: string; name: string; destination: string } & Record<string, unknown>>;
  /** Starts a run through the API and waits until it has ended; returns the run id. */
  runToEnd(sourceId: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function sourcesServer(
  options: Partial<BuildServerOptions> & { env?: NodeJS.ProcessEnv } = {},
): Promise<SourcesServer> {
  const t = tempDir('snagsync-sources-');
  const { env, ...rest } = options;
  const runtime = openRuntime({ home: t.dir, env: { SNAGSYNC_RETRY_BASE_MS: '20', ...env } });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const app = await buildServer({
    runtime,
    apiKey: TEST_KEY,
    logger: createLogger(sink, 'debug'),
    verify: { logger: false, timeoutMs: 5000 },
    ...rest,
  });
  const api: SourcesServer['api'] = (method, url, payload) =>
    app.inject({
      method,
      url,
      headers: keyHeaders(),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  return {
    app,
    runtime,
    home: t.dir,
    logs,
    api,
    credential: async (sim, name = 'sim admin') => {
      const admin = sim.tokens.find((x) => x.role === 'admin')!;
      const res = await api('POST', '/api/data_credentials', {
        name,
        credentials: { auth_token: admin.token, host: sim.url },
      });
      if (res.statusCode !== 201) throw new Error(`credential: ${res.statusCode} ${res.body}`);
      return (res.json() as { id: string }).id;
    },
    source: async (body) => {
      const res = await api('POST', '/api/data_sources', body);
      if (res.statusCode !== 201) throw new Error(`source: ${res.statusCode} ${res.body}`);
      return res.json();
    },
    runToEnd: async (sourceId) => {
      const res = await api('POST', `/api/data_sources/${sourceId}/runs`);
      if (res.statusCode !== 202) throw new Error(`run: ${res.statusCode} ${res.body}`);
      const id = (res.json() as { run_id: string }).run_id;
      await app.snag.runs.get(id)!.handle.done;
      return id;
    },
    cleanup: async () => {
      await app.close();
      await runtime.close();
      t.cleanup();
    },
  };
}

/** One parsed server-sent event; `comment` for `: …` lines. */
export interface SseMessage {
  id?: number;
  event?: string;
  data?: Record<string, unknown>;
  comment?: string;
  retry?: number;
}

/** Reads a text/event-stream to its end (the server closes it), as EventSource would parse it. */
export async function readSse(res: Response): Promise<SseMessage[]> {
  return parseSse(await res.text());
}

export function parseSse(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    const m: SseMessage = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) m.comment = line.slice(1).trim();
      else if (line.startsWith('id: ')) m.id = Number(line.slice(4));
      else if (line.startsWith('event: ')) m.event = line.slice(7);
      else if (line.startsWith('data: ')) m.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
      else if (line.startsWith('retry: ')) m.retry = Number(line.slice(7));
    }
    out.push(m);
  }
  return out;
}

/**
 * What the source wizard's form sends (checkboxes as arrays: the browser repeats their key), for a Test of the errors
 * stream with every other field at its blank default; `over` sets the fields a suite cares about.
 */
export function wizardFields(
  credentialId: string,
  over: Record<string, string | string[]> = {},
): Record<string, string | string[]> {
  return {
    connector: 'bugsnag',
    credential_id: credentialId,
    project_mode: 'all',
    streams: ['projects', 'errors'],
    start_date: '',
    filters: '',
    filters_original: '',
    destination_kind: 'sqlite',
    destination_path: '',
    schedule_preset: '',
    schedule_custom: '',
    test_stream: 'errors',
    name: 'x',
    description: '',
    intent: 'test',
    ...over,
  };
}

/** Posts a form as the browser does without JS (`page`: the CSRF field) or as app.js does (`fetch`: JSON answer). */
export function postForm(
  app: FastifyInstance,
  browser: Browser,
  url: string,
  fields: Record<string, string | string[]>,
  mode: 'page' | 'fetch' = 'page',
): Promise<LightMyRequestResponse> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(mode === 'page' ? { _csrf: browser.csrf, ...fields } : fields))
    for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    cookie: browser.cookie,
  };
  if (mode === 'fetch') Object.assign(headers, { accept: 'application/json', 'x-csrf-token': browser.csrf });
  return app.inject({ method: 'POST', url, headers, payload: params.toString() });
}
