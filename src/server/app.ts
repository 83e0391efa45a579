import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { getLogger, type Logger } from '../core/log.js';
import { createCredentialService } from '../credentials/service.js';
import { startScheduler, type SchedulerHandle } from '../engine/index.js';
import type { VerifyOptions } from '../credentials/verify.js';
import type { Runtime } from '../runtime.js';
import { API_PLUGINS } from './api/index.js';
import { registerAuth, wantsJson } from './auth.js';
import { registerCsrf } from './csrf.js';
import { registerAudit } from './team/audit.js';
import { registerPermissions } from './team/authorize.js';
import { clientErrorProblem, toErrorResponse, unsafeJsonProblem, HttpProblem, type ApiErrorBody } from './errors.js';
import { html } from './html.js';
import { KeyGuard, type KeyGuardOptions } from './key-guard.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi.js';
import { PAGE_MODULES } from './pages/index.js';
import { pageHeading } from './pages/layout.js';
import { sendPage } from './pages/respond.js';
import { chooseExecutor, type ExecutorChoice } from './runs/executor.js';
import { RunRegistry } from './runs/registry.js';
import { SinkRunRegistry } from './sinks/registry.js';
import { registerSecurityHeaders } from './security-headers.js';
import { configureOidc } from './signin/oidc.js';
import { type OidcOptions, oidcFromEnv } from './signin/oidc-config.js';
import { SessionStore, type SessionOptions } from './sessions.js';
import { closeAllStreams, maxStreamsOf, SseStreams } from './sse.js';
import { loadAssets, registerStaticRoutes } from './static-files.js';
import { registerWebhooks, webhookDeps, type WebhookServerOptions } from './hooks/index.js';
import type { ServerDeps } from './types.js';

/**
 * The Fastify app of `snagsync serve`: security headers, authentication (key or session), CSRF, the REST API, the
 * pages and the static files, over the same services the CLI uses. Returned unstarted, so tests drive it with
 * `inject` and start.ts makes it listen.
 */

export interface BuildServerOptions {
  runtime: Runtime;
  /** The server key scripts send and people log in with (see api-key.ts). */
  apiKey: string;
  /** Defaults to the process logger (stderr, secrets redacted). */
  logger?: Logger;
  /** The server speaks TLS, or sits behind a TLS proxy: cookies get `Secure`, responses HSTS. */
  secure?: boolean;
  /** Passed to Fastify to serve HTTPS itself. */
  https?: { cert: Buffer | string; key: Buffer | string };
  sessions?: SessionOptions;
  /** Limits on wrong server keys before they are slowed down (see key-guard.ts). */
  keyGuard?: KeyGuardOptions;
  /** How credential checks are made (tests pass their own). */
  verify?: VerifyOptions;
  now?: () => number;
  /** Largest request body accepted (default 64 KiB: credential fields are short). */
  bodyLimit?: number;
  /** More route modules, registered last with the same auth, CSRF and headers (an embedding app's pages; tests). */
  routes?: ReadonlyArray<(app: FastifyInstance) => void>;
  /**
   * Run scheduled sources in this process (`snagsync serve` does, unless `--no-scheduler`). Off by default, so an
   * app built for tests or embedded elsewhere never starts syncs on its own.
   */
  scheduler?: boolean | { tickMs?: number };
  /**
   * Where runs started here (Run now, the API, the scheduler) execute: a child process each by default, so syncs
   * never stall the server's answers; `in-process` (or SNAGSYNC_RUN_EXECUTOR=in-process) keeps them here.
   */
  executor?: ExecutorChoice;
  /**
   * Server-sent events: heartbeat comment interval (default 15 s), store polling for other processes' runs (1 s), and
   * how many streams may be open at once (default SNAGSYNC_MAX_SSE, else 100; one more is answered 503).
   */
  sse?: { heartbeatMs?: number; pollMs?: number; maxStreams?: number };
  /**
   * Bugsnag webhooks (`POST /hooks/bugsnag/{source}/{secret}`, see hooks/): on unless `false` or SNAGSYNC_WEBHOOKS=off;
   * limits and the inbox's retries for tests.
   */
  webhooks?: boolean | WebhookServerOptions;
  /** OpenID Connect sign-in (signin/oidc-config.ts); default from SNAGSYNC_OIDC_* in the runtime's env; null: off. */
  oidc?: OidcOptions | null;
}

export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? getLogger();
  const now = options.now ?? Date.now;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    ...(options.https ? { https: options.https } : {}),
    // Request ids in logs, never client-supplied ones.
    requestIdHeader: false,
    // One line per request (the onResponse hook below), not Fastify's "incoming request" and "request completed".
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;

  const deps: ServerDeps = {
    runtime: options.runtime,
    credentials: createCredentialService({
      store: options.runtime.store,
      vault: options.runtime.vault,
      home: options.runtime.home,
      env: options.runtime.env,
      logger,
      verify: { logger, ...options.verify },
    }),
    sessions: new SessionStore(() => options.runtime.store, { now, ...options.sessions }),
    assets: loadAssets(),
    apiKey: options.apiKey,
    keyGuard: new KeyGuard(options.keyGuard, now),
    secureCookies: options.secure === true || options.https !== undefined,
    logger,
    now,
    routes: [],
    runs: new RunRegistry(options.runtime, logger, chooseExecutor(options.executor, options.runtime.env)),
    sinkRuns: new SinkRunRegistry(options.runtime, logger),
    eventStreams: new SseStreams(maxStreamsOf(options.sse?.maxStreams, options.runtime.env)),
    sse: { heartbeatMs: options.sse?.heartbeatMs ?? 15_000, pollMs: options.sse?.pollMs ?? 1000 },
    scheduler: { enabled: options.scheduler !== undefined && options.scheduler !== false },
    webhooks: webhookDeps(options.runtime, logger, webhookOptions(options.webhooks)),
  };
  app.decorate('snag', deps);
  app.addHook('onResponse', async (request, reply) => {
    const url = request.url.replace(/^(\/hooks\/bugsnag\/[^/?]+\/)[^/?]+/, '$1[REDACTED]');
    request.log.info(
      { method: request.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  configureOidc(app, options.oidc === undefined ? oidcFromEnv(options.runtime.env) : options.oidc);
  registerLifecycle(app, deps, options.scheduler);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') deps.routes.push({ method, url: route.url, public: route.config?.public === true });
    }
  });

  registerSecurityHeaders(app, { tls: deps.secureCookies });
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: options.bodyLimit ?? 64 * 1024 });
  // JSON (API) and urlencoded forms (pages) only: anything else is a 415, not a string the handlers must judge.
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app);
  registerAuth(app);
  registerCsrf(app);
  registerPermissions(app);
  registerAudit(app);

  app.setErrorHandler(async (err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler(async (request, reply) =>
    sendError(
      request,
      reply,
      new HttpProblem(
        404,
        'not_found',
        `Nothing at ${request.method} ${request.url.split('?')[0]}.`,
        'The API is described at /api/openapi.json.',
      ),
    ),
  );

  // Route schemas are zod (fastify-type-provider-zod). Answers keep the shapes the handlers build: the schemas
  // document them (and the tests check real answers against the document) but do not filter them.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await registerOpenApi(app);
  registerStaticRoutes(app);
  await registerWebhooks(app, webhookOptions(options.webhooks));
  for (const plugin of API_PLUGINS) await app.register(plugin);
  registerOpenApiRoute(app);
  for (const register of PAGE_MODULES) register(app);
  for (const register of options.routes ?? []) register(app);
  return app;
}

function webhookOptions(option: BuildServerOptions['webhooks']): WebhookServerOptions {
  return typeof option === 'boolean' ? { enabled: option } : (option ?? {});
}

/**
 * The embedded scheduler starts with the server and stops before it; runs still going when the server closes are
 * cancelled and awaited (recorded `cancelled`, never left `running`), then every event stream is ended — an open
 * stream would keep the server from closing.
 */
function registerLifecycle(app: FastifyInstance, deps: ServerDeps, scheduler: BuildServerOptions['scheduler']): void {
  let handle: SchedulerHandle | undefined;
  if (deps.scheduler.enabled) {
    const tickMs = typeof scheduler === 'object' ? scheduler.tickMs : undefined;
    app.addHook('onReady', async () => {
      handle = startScheduler(deps.runtime, {
        ...(tickMs !== undefined ? { tickMs } : {}),
        executor: deps.runs.executor,
        onStart: (run) => deps.runs.adopt(run, 'schedule'),
        onResults: (results) =>
          deps.logger.info(
            { results: results.map((r) => ({ source: r.source_name, run_id: r.run_id, status: r.status })) },
            'scheduled runs done',
          ),
        onError: (err) => deps.logger.error({ err }, 'scheduler sweep failed'),
      });
    });
  }
  app.addHook('preClose', async () => {
    handle?.stop();
    await deps.runs.shutdown();
    await deps.sinkRuns.shutdown();
    await handle?.done;
    closeAllStreams(deps.eventStreams);
  });
}

/**
 * Fastify's JSON parser (prototype-poisoning keys refused), except that a body refused for such a key — which is
 * valid JSON — is not reported as "not valid JSON" (Fastify gives both the same error).
 */
function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && parsesAsJson(body)) {
        done(unsafeJsonProblem(), undefined);
        return;
      }
      done(err, value);
    });
  });
}

function parsesAsJson(body: string | Buffer): boolean {
  try {
    JSON.parse(body.toString());
    return true;
  } catch {
    return false;
  }
}

/**
 * Node refused the request before Fastify saw it (headers over 16 KiB, a timeout, broken HTTP): answer with the API's
 * error envelope rather than Fastify's own body, then close the connection as Node would.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem = clientErrorProblem(err.code);
    const body = JSON.stringify(problem.toBody());
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

async function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): Promise<FastifyReply> {
  const { status, body, snag } = toErrorResponse(err, request.url);
  if (status >= 500) request.log.error({ err: snag ?? err, status }, 'request failed');
  else request.log.debug({ error: body.error, status }, 'request refused');
  if (status === 429 && snag && typeof snag.details.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(Math.max(1, Math.ceil(snag.details.retryAfterSeconds))));
  }
  if (wantsJson(request) || request.auth === null || request.auth === undefined) {
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  }
  return sendPage(request, reply, {
    status,
    title: status === 404 ? 'Not found' : 'Error',
    active: null,
    bare: request.auth.kind !== 'session',
    body: () => errorBody(body),
  });
}

function errorBody(body: ApiErrorBody) {
  return html`<section class="error-page" aria-labelledby="page-title">
${pageHeading(body.status === 404 ? 'Not found' : 'Something went wrong')}
<p><strong>${body.message}</strong></p>
${body.hint ? html`<p>${body.hint}</p>` : ''}
<p><a href="/">Back to the overview</a> · <a href="/sources">Sources</a> · <a href="/credentials">Credentials</a></p>
</section>`;
}
