import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { buildServer, type BuildServerOptions } from '../../src/server/app.js';
import { tempDir } from '../store/helpers.js';

/** A server over a fresh snagsync home (real SQLite, real key file), driven with `inject`; every log line captured. */

export const TEST_KEY = 'test-server-key-0123456789abcdef';

export interface TestServer {
  app: FastifyInstance;
  runtime: Runtime;
  home: string;
  apiKey: string;
  /** Every log line the server wrote (level debug and up). */
  logs: string[];
  cleanup(): Promise<void>;
}

export async function testServer(options: Partial<BuildServerOptions> = {}): Promise<TestServer> {
  const t = tempDir('snagsync-server-');
  const runtime = openRuntime({ home: t.dir, env: {} });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const app = await buildServer({ runtime, apiKey: TEST_KEY, logger: createLogger(sink, 'debug'), ...options });
  return {
    app,
    runtime,
    home: t.dir,
    apiKey: TEST_KEY,
    logs,
    cleanup: async () => {
      await app.close();
      await runtime.close();
      t.cleanup();
    },
  };
}

export const keyHeaders = (key = TEST_KEY) => ({ authorization: `Bearer ${key}` });

export interface Browser {
  /** `snagsync_session=…`, to send as the cookie header. */
  cookie: string;
  csrf: string;
}

/** Cookies set by a response, name → {value, attributes}. */
export function setCookies(res: LightMyRequestResponse): Map<string, { value: string; raw: string }> {
  const header = res.headers['set-cookie'];
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out = new Map<string, { value: string; raw: string }>();
  for (const raw of list) {
    const [pair] = raw.split(';');
    const eq = pair!.indexOf('=');
    out.set(pair!.slice(0, eq).trim(), { value: pair!.slice(eq + 1), raw });
  }
  return out;
}

/** Logs in like a browser: the login page (its one-time form token and cookie), then the form. */
export async function login(app: FastifyInstance, key = TEST_KEY): Promise<Browser> {
  const page = await app.inject({ method: 'GET', url: '/login' });
  const nonce = /name="_login" value="([^"]+)"/.exec(page.body)?.[1];
  const pre = setCookies(page).get('snagsync_login')?.value;
  if (!nonce || !pre) throw new Error('no login form token');
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
    payload: new URLSearchParams({ key, _login: nonce, next: '/credentials' }).toString(),
  });
  const session = setCookies(res).get('snagsync_session')?.value;
  if (res.statusCode !== 303 || !session) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = `snagsync_session=${session}`;
  const credentials = await app.inject({ method: 'GET', url: '/credentials', headers: { cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(credentials.body)?.[1];
  if (!csrf) throw new Error('no csrf token on the page');
  return { cookie, csrf };
}

/** Signs in like a browser with an email and password (the login page's other form); the answer, not followed. */
export async function passwordLogin(
  app: FastifyInstance,
  email: string,
  password: string,
): Promise<LightMyRequestResponse> {
  const page = await app.inject({ method: 'GET', url: '/login' });
  const nonce = /name="_login" value="([^"]+)"/.exec(page.body)?.[1];
  const pre = setCookies(page).get('snagsync_login')?.value;
  if (!nonce || !pre) throw new Error('no login form token');
  return app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `snagsync_login=${pre}` },
    payload: new URLSearchParams({ email, password, _login: nonce, next: '/' }).toString(),
  });
}

/** A form POST from the logged-in browser, as a plain (no-JS) submission or as app.js's fetch. */
export function postForm(
  app: FastifyInstance,
  browser: Browser,
  url: string,
  fields: Record<string, string>,
  mode: 'page' | 'fetch' = 'page',
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    cookie: browser.cookie,
  };
  if (mode === 'fetch') {
    headers.accept = 'application/json';
    headers['x-csrf-token'] = browser.csrf;
  }
  const body = mode === 'fetch' ? fields : { _csrf: browser.csrf, ...fields };
  return app.inject({ method: 'POST', url, headers, payload: new URLSearchParams(body).toString() });
}
