import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { createLogger } from '../../src/core/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import type { BuildServerOptions } from '../../src/server/app.js';
import { startServer, type StartedServer } from '../../src/server/start.js';
import { CHROMIUM_PATH } from './services.js';

/**
 * Real headless Chromium (Debian's, never a downloaded build) for the browser suites and the screenshot script.
 *
 *   const web = useBrowserSuite();            // in a describe: launches once, a fresh context per test
 *   const page = await web.page();            // console errors and CSP violations are collected per page
 *   await loginInBrowser(page, server.url, server.key);
 *
 * The flags keep Chromium quiet on a machine without network (no background fetches, no QUIC, no component or sync
 * updates). Playwright gives every launch a fresh temporary profile (its own --user-data-dir, removed on close).
 */

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface TrackedPage extends Page {
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
}

export async function trackedPage(context: BrowserContext): Promise<TrackedPage> {
  const page = (await context.newPage()) as TrackedPage;
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  return page;
}

export interface BrowserSuite {
  /** A page in a fresh context (cookies and storage of its own). */
  page(options?: BrowserContextOptions): Promise<TrackedPage>;
  browser(): Browser;
}

/**
 * Lifecycle for a describe block: Chromium launched in beforeAll, each test's contexts closed in afterEach, the
 * browser closed in afterAll. Pass vitest's hooks (so this file does not import vitest for the script's sake).
 */
export function useBrowserSuite(hooks: {
  beforeAll: (fn: () => Promise<void>) => void;
  afterEach: (fn: () => Promise<void>) => void;
  afterAll: (fn: () => Promise<void>) => void;
}): BrowserSuite {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  hooks.beforeAll(async () => {
    browser = await launchChromium();
  });
  hooks.afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  hooks.afterAll(async () => {
    await browser?.close();
  });
  return {
    browser: () => {
      if (!browser) throw new Error('the browser is not launched yet (use it inside a test)');
      return browser;
    },
    page: async (options = {}) => {
      if (!browser) throw new Error('the browser is not launched yet (use it inside a test)');
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
      contexts.push(context);
      return trackedPage(context);
    },
  };
}

export interface WebServer {
  url: string;
  key: string;
  runtime: Runtime;
  server: StartedServer;
  home: string;
  close(): Promise<void>;
}

/**
 * `snagsync serve` for real (listening on a free loopback port) over a fresh home, with a known key. `env` is the
 * runtime's environment besides the key (e.g. SNAGSYNC_RATE_WINDOW_MS to pace syncs against a simulator).
 */
export async function startWebServer(
  options: {
    verifyTimeoutMs?: number;
    routes?: BuildServerOptions['routes'];
    env?: NodeJS.ProcessEnv;
    app?: Partial<BuildServerOptions>;
  } = {},
): Promise<WebServer> {
  const home = mkdtempSync(join(tmpdir(), 'snagsync-web-'));
  const key = 'browser-test-key-0123456789abcdef';
  const runtime = openRuntime({ home, env: { ...options.env, SNAGSYNC_SERVER_KEY: key } });
  const server = await startServer({
    runtime,
    port: 0,
    logger: createLogger(process.stderr, 'warn'),
    app: {
      verify: { logger: false, timeoutMs: options.verifyTimeoutMs ?? 5000 },
      ...(options.routes ? { routes: options.routes } : {}),
      ...options.app,
    },
  });
  return {
    url: server.url,
    key,
    runtime,
    server,
    home,
    close: async () => {
      await server.close();
      await runtime.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Logs in through the login page, like a person: type the key, submit, wait for the page after. */
export async function loginInBrowser(page: Page, url: string, key: string, next = '/credentials'): Promise<void> {
  await page.goto(`${url}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Server key').fill(key);
  await Promise.all([page.waitForURL(`${url}${next}`), page.getByRole('button', { name: 'Log in' }).click()]);
}

/** The id of the focused element ('' when it has none). Evaluated in the page (a string: these files have no DOM types). */
export function activeId(page: Page): Promise<string> {
  return page.evaluate<string>("document.activeElement ? document.activeElement.id : ''");
}
