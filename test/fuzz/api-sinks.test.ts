import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport, TransportRequest } from '../../src/http/transport.js';
import { sysError } from '../http/helpers/scripted.js';
import { keyHeaders, testServer, type TestServer } from '../server/helpers.js';
import { hostileJson, hostileText } from './arbitraries.js';
import { RUNS } from './settings.js';

/**
 * Arbitrary bodies to `POST` and `PUT /api/data_sinks`, in-process: hostile ones, valid ones (a credential and a
 * source that exist, an input and an operation with the parameters it needs — so the whole valid path runs: the
 * checks of every row, the store, the answer), and valid ones with one part spoiled. Never a 5xx; every valid body is
 * saved (201 / 200), and the test counts them, so a generator that drifts away from what the API accepts fails here
 * instead of fuzzing the front door only. Creating a destination sends nothing to Bugsnag: the transport refuses
 * anything, and nothing is sent.
 */

const sent: TransportRequest[] = [];
const refuse: Transport = async (req) => {
  sent.push(req);
  throw sysError('ECONNREFUSED');
};

let s: TestServer;
let credentialId: string;
let sourceId: string;
let sinkId: string;
beforeAll(async () => {
  s = await testServer({ verify: { transport: refuse, logger: false, timeoutMs: 1_000 } });
  const c = await send('POST', '/api/data_credentials', {
    name: 'fuzz sinks',
    credentials: { auth_token: 'a1b2c3d4-1111-4222-8333-444455556666', host: 'http://127.0.0.1:9' },
    verify: false,
  });
  if (c.statusCode !== 201) throw new Error(`credential: ${c.statusCode} ${c.body}`);
  credentialId = c.json().id;
  // Syncs into the home's SQLite file (the default): a table or query input may read it.
  const src = await send('POST', '/api/data_sources', { name: 'fuzz sinks', data_credentials_id: credentialId });
  if (src.statusCode !== 201) throw new Error(`source: ${src.statusCode} ${src.body}`);
  sourceId = src.json().id;
  const sink = await send('POST', '/api/data_sinks', {
    name: 'fuzz base',
    data_credentials_id: credentialId,
    data_sink_config: { input: { type: 'table', data_source_id: sourceId }, operation: { name: 'fix' } },
  });
  if (sink.statusCode !== 201) throw new Error(`sink: ${sink.statusCode} ${sink.body}`);
  sinkId = sink.json().id;
});
afterAll(async () => {
  await s.cleanup();
});

function send(method: 'POST' | 'PUT', url: string, body: unknown): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method,
    url,
    headers: { ...keyHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body) ?? 'null',
  });
}

/** Never a 5xx; every refusal in the API's error envelope, a 400 naming its field. */
function expectHandled(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
  if (res.statusCode < 400) return;
  const body = res.json();
  expect(body, res.body.slice(0, 500)).toMatchObject({
    error: expect.any(String),
    message: expect.any(String),
    status: res.statusCode,
  });
  if (res.statusCode === 400) expect(typeof body.field, res.body.slice(0, 500)).toBe('string');
}

// ---- valid parts -------------------------------------------------------------------------------------------------

const hexId = fc.stringMatching(/^[0-9a-f]{24}$/);
const text = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 .,!?-]{0,60}$/);

/** An operation with the parameters it needs. */
const operation = fc.oneof(
  fc.record({ name: fc.constantFrom('fix', 'open', 'ignore', 'discard', 'undiscard', 'unlink_issue') }),
  fc.record({
    name: fc.constant('override_severity'),
    params: fc.record({ severity: fc.constantFrom('info', 'warning', 'error') }),
  }),
  fc.record({ name: fc.constant('link_issue'), params: fc.record({ issue_url: fc.webUrl() }) }),
  fc.record({ name: fc.constant('comment'), params: fc.record({ message: text }) }),
  fc.record({
    name: fc.constant('assign'),
    params: fc.oneof(fc.record({ assignee: text }), fc.record({ team: text })),
  }),
  fc.record({
    name: fc.constant('snooze'),
    params: fc.oneof(
      fc.record({
        reopen_if: fc.constant('n_additional_occurrences'),
        additional_occurrences: fc.integer({ min: 1, max: 1e6 }),
      }),
      fc.record({ reopen_if: fc.constant('occurs_after'), seconds: fc.integer({ min: 1, max: 1e7 }) }),
      fc.record({
        reopen_if: fc.constant('n_occurrences_in_m_hours'),
        occurrences: fc.integer({ min: 1, max: 1000 }),
        hours: fc.integer({ min: 1, max: 1000 }),
      }),
      fc.record({
        reopen_if: fc.constant('n_additional_users'),
        additional_users: fc.integer({ min: 1, max: 100_000 }),
      }),
    ),
  }),
);

const rows = fc.array(fc.record({ project_id: hexId, error_id: hexId }), { minLength: 1, maxLength: 20 });

const fileInput = fc.oneof(
  rows.map((r) => ({ type: 'file', format: 'jsonl', content: r.map((x) => JSON.stringify(x)).join('\n') })),
  fc.tuple(rows, fc.option(text, { nil: undefined })).map(([r, filename]) => ({
    type: 'file',
    format: 'csv',
    content: ['project_id,error_id', ...r.map((x) => `${x.project_id},${x.error_id}`)].join('\n'),
    ...(filename ? { filename } : {}),
  })),
);
const tableInput = fc
  .option(fc.constantFrom("status = 'open'", "severity = 'info' AND status != 'fixed'"), {
    nil: undefined,
  })
  .map((filter) => ({ type: 'table', data_source_id: 'SOURCE', ...(filter ? { filter } : {}) }));
const queryInput = fc
  .constantFrom(
    'SELECT project_id, id AS error_id FROM errors',
    'with e as (select * from errors) select project_id, id as error_id from e',
  )
  .map((query) => ({ type: 'query', data_source_id: 'SOURCE', query }));

const validConfig = fc.record({ input: fc.oneof(fileInput, tableInput, queryInput), operation });
const validBody = fc.record(
  {
    name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _-]{0,30}$/),
    description: fc.option(text, { nil: null }),
    data_credentials_id: fc.constant('CREDENTIAL'),
    data_sink_config: validConfig,
  },
  { requiredKeys: ['name', 'data_credentials_id', 'data_sink_config'] },
);

/** A valid body with one part replaced by anything. */
const spoiled = fc
  .tuple(
    validBody,
    fc.constantFrom(
      'name',
      'description',
      'data_credentials_id',
      'data_sink_config',
      'input',
      'operation',
      'params',
      'content',
    ),
    fc.oneof(hostileJson, hostileText),
  )
  .map(([b, part, junk]) => {
    const body: Record<string, unknown> = structuredClone(b);
    const config = body.data_sink_config as Record<string, Record<string, unknown>>;
    if (part in body) body[part] = junk;
    else if (part === 'input' || part === 'operation') config[part] = junk as Record<string, unknown>;
    else if (part === 'params') config.operation!.params = junk;
    else config.input!.content = junk;
    return body;
  });

const sinkBody = fc.oneof(
  { weight: 3, arbitrary: validBody.map((body) => ({ valid: true, body })) },
  { weight: 3, arbitrary: spoiled.map((body) => ({ valid: false, body })) },
  { weight: 1, arbitrary: hostileJson.map((body) => ({ valid: false, body })) },
);

let n = 0;
/** The placeholders become the ids that exist; a valid body's name is made unique (a taken name is a 409). */
function resolve(body: unknown, valid: boolean): unknown {
  const json = JSON.stringify(body);
  if (json === undefined) return body;
  const out = JSON.parse(
    json.replaceAll('"CREDENTIAL"', JSON.stringify(credentialId)).replaceAll('"SOURCE"', JSON.stringify(sourceId)),
  );
  if (valid) out.name = `${out.name} ${++n}`;
  return out;
}

describe('API bodies to /api/data_sinks, arbitrary (property)', () => {
  it('POST and PUT: never a 5xx, every 400 on a field, every valid body saved (the valid path is reached)', async () => {
    const saved = { POST: 0, PUT: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'PUT') as fc.Arbitrary<'POST' | 'PUT'>,
        sinkBody,
        async (method, { valid, body }) => {
          const url = method === 'POST' ? '/api/data_sinks' : `/api/data_sinks/${sinkId}`;
          const res = await send(method, url, resolve(body, valid));
          expectHandled(res);
          if (valid) {
            expect(res.statusCode, res.body.slice(0, 500)).toBe(method === 'POST' ? 201 : 200);
            expect(res.json()).toMatchObject({ id: expect.stringMatching(/^snk_/), data_credentials_id: credentialId });
            saved[method]++;
          }
        },
      ),
      RUNS,
    );
    // Counted, not assumed: the generator reached the store through both routes.
    expect(saved.POST).toBeGreaterThan(0);
    expect(saved.PUT).toBeGreaterThan(0);
    expect((await s.runtime.store.sinks.list()).length).toBeGreaterThan(saved.POST);
    // Saving a destination sends nothing to Bugsnag.
    expect(sent).toEqual([]);
  });
});
