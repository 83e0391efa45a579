import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { startSmallSim } from '../credentials/helpers.js';
import { keyHeaders, testServer, type TestServer } from './helpers.js';

/**
 * The served OpenAPI document as a generator uses it, on its default settings: openapi-typescript makes the types,
 * a strict tsc compiles a small client typed by them (a credential with only its token and host, a source with only
 * its streams, a run with no body, a `limit` that is a number, a write-back destination with neither `table` nor
 * `params`), and the client then runs against the server and the simulator on loopback.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CLIENT = `import type { components, paths } from './api.js';

interface Input { url: string; key: string; host: string; token: string }

type CreateCredential = paths['/api/data_credentials']['post']['requestBody']['content']['application/json'];
type Credential = paths['/api/data_credentials']['post']['responses'][201]['content']['application/json'];
type CreateSource = paths['/api/data_sources']['post']['requestBody']['content']['application/json'];
type Source = paths['/api/data_sources']['post']['responses'][201]['content']['application/json'];
type RunNow = paths['/api/data_sources/{id}/runs']['post'];
type Started = RunNow['responses'][202]['content']['application/json'];
type RunsQuery = NonNullable<paths['/api/data_sources/{id}/runs']['get']['parameters']['query']>;
type Runs = paths['/api/data_sources/{id}/runs']['get']['responses'][200]['content']['application/json'];
type Run = paths['/api/runs/{id}']['get']['responses'][200]['content']['application/json'];
type Apply = paths['/api/data_sinks/{id}/apply']['post'];

async function stdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

const input = JSON.parse(await stdin()) as Input;

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(input.url + path, {
    method,
    headers: {
      authorization: 'Bearer ' + input.key,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(method + ' ' + path + ': ' + res.status + ' ' + (await res.text()));
  return (await res.json()) as T;
}

// Defaulted fields (verify, credentials.host's default, every defaulted source_config option) may be left out.
const credentialBody: CreateCredential = { name: 'generated client', credentials: { auth_token: input.token, host: input.host } };
const credential = await call<Credential>('POST', '/api/data_credentials', credentialBody);

const sourceBody: CreateSource = {
  name: 'generated source',
  data_credentials_id: credential.id,
  source_config: { streams: ['organizations', 'projects'] },
};
const source = await call<Source>('POST', '/api/data_sources', sourceBody);

// The run's body is optional.
const noBody: RunNow['requestBody'] = undefined;
const started = await call<Started>('POST', '/api/data_sources/' + source.id + '/runs', noBody);

// The event stream ends after run-done.
const events = await fetch(input.url + '/api/runs/' + started.run_id + '/events', {
  headers: { authorization: 'Bearer ' + input.key },
});
await events.text();
const run = await call<Run>('GET', '/api/runs/' + started.run_id);

const query: RunsQuery = { limit: 5 };
const runs = await call<Runs>('GET', '/api/data_sources/' + source.id + '/runs?limit=' + String(query.limit));

// A write-back destination with neither table nor params, and an apply with no body, type-check too.
const sink: components['schemas']['DataSinkConfig'] = {
  input: { type: 'table', data_source_id: source.id },
  operation: { name: 'fix' },
};
const applyBody: Apply['requestBody'] = undefined;

process.stdout.write(
  JSON.stringify({
    credential: credential.verified_status,
    source: source.id,
    status: run.status,
    written: run.totals.records_written,
    runs: runs.length,
    sink: sink.input.type,
    apply: applyBody ?? null,
  }),
);
`;

let sim: Simulator;
let s: TestServer;
let url: string;
let dir: string;
beforeAll(async () => {
  sim = await startSmallSim();
  s = await testServer({ verify: { logger: false } });
  url = await s.app.listen({ host: '127.0.0.1', port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'snagsync-openapi-client-'));
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Strict type-check of the client against the generated types: the diagnostics, one a line. */
function typeCheck(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

function runClient(file: string, stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('a client generated from /api/openapi.json', () => {
  it('compiles strictly and creates a credential and a source, and runs it', async () => {
    const res = await fetch(`${url}/api/openapi.json`, { headers: { authorization: `Bearer ${s.apiKey}` } });
    expect(res.status).toBe(200);
    const types = astToString(await openapiTS(await res.text()));
    writeFileSync(join(dir, 'api.d.ts'), types);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const client = join(dir, 'client.ts');
    writeFileSync(client, CLIENT);

    expect(typeCheck(client)).toEqual([]);

    const token = sim.tokens.find((t) => t.role === 'admin')!.token;
    const out = await runClient(client, JSON.stringify({ url, key: s.apiKey, host: sim.url, token }));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ credential: 'VERIFIED', status: 'succeeded', runs: 1, sink: 'table', apply: null });
    expect(result.written).toBeGreaterThan(0);
  });

  it('documents the 413, 415 and 429 answers, and a 413 says what the route takes', async () => {
    type Op = { requestBody?: unknown; responses: Record<string, { headers?: Record<string, unknown> }> };
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: keyHeaders() })).json() as {
      paths: Record<string, Record<string, Op>>;
    };
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    for (const op of ops) {
      expect(op.responses['429']?.headers).toHaveProperty('Retry-After');
      if (op.requestBody) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['413', '415']));
    }
    const huge = await s.app.inject({
      method: 'POST',
      url: '/api/data_sources',
      headers: { ...keyHeaders(), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x', description: 'd'.repeat(100_000) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().hint).not.toMatch(/credential/i);
    expect(huge.json().hint).toMatch(/source/);
  });
});
