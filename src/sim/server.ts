import type { IncomingMessage, ServerResponse } from 'node:http';
import { getLogger } from '../core/log.js';
import { maskToken } from '../core/redact.js';
import { BodyError, readJsonBody } from './http/body.js';
import { isDownloadPath, serveDownload } from './edr/download.js';
import { isNotifyRequest, serveNotify } from './routes/notify.js';
import type { FaultInjector } from './http/faults.js';
import type { InFlight } from './http/inflight.js';
import type { RateLimiter } from './http/ratelimit.js';
import { ReplyError, unrouted, type Reply } from './http/reply.js';
import type { Router } from './http/router.js';
import type { StatsCollector } from './http/stats.js';
import { eventField } from './query/fields.js';
import { isHash, ParamError, parseQuery } from './query/params.js';
import type { Ctx } from './routes/context.js';
import type { SimState } from './state.js';

export interface Pipeline {
  sim: SimState;
  router: Router<Ctx>;
  limiter: RateLimiter;
  faults: FaultInjector;
  stats: StatsCollector;
  /** Counts requests from their first byte to the end of their handler, whether or not the client is still there. */
  inFlight: InFlight;
  origin(): string;
  /** Present only when listening on loopback. */
  control: ((method: string, path: string, body: unknown, query: URLSearchParams) => Promise<Reply>) | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The order the real service appears to apply things in: routing (unrouted paths answer Rails' 404 without looking
 * at the token), authentication (401), rate limiting (429), then the handler. Injected faults sit between the rate
 * limiter and the handler, like a flaky proxy or backend would.
 */
export function requestListener(p: Pipeline): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    p.inFlight.enter();
    handle(p, req, res)
      .catch((err: unknown) => {
        getLogger().error({ err: err instanceof Error ? err.message : String(err) }, 'simulator: unexpected failure');
        if (!res.headersSent) send(res, { status: 500, body: { errors: ['Internal server error'] } }, {});
        else res.destroy();
      })
      .finally(() => p.inFlight.leave());
  };
}

async function handle(p: Pipeline, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const nowMs = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const qAt = rawUrl.indexOf('?');
  const path = qAt === -1 ? rawUrl : rawUrl.slice(0, qAt);
  const search = qAt === -1 ? '' : rawUrl.slice(qAt + 1);

  if (p.control && (path === '/__sim' || path.startsWith('/__sim/'))) {
    let body: unknown;
    try {
      body = await readJsonBody(req);
    } catch (err) {
      send(res, { status: 400, body: { error: err instanceof Error ? err.message : 'bad body' } }, {});
      return;
    }
    send(res, await p.control(method, path, body, new URLSearchParams(search)), {});
    return;
  }

  // Notifier endpoints (routes/notify.ts): a project API key instead of a personal token, and no rate limit.
  if (isNotifyRequest(method, path)) {
    await serveNotify(p, req, res, path);
    return;
  }

  // Signed event data downloads: no token, no rate limit (like a storage bucket), but faults apply.
  if (isDownloadPath(path)) {
    await serveDownload(p, req, res, rawUrl, path, nowMs);
    return;
  }

  const match = p.router.match(method, path);
  if (!match) {
    p.stats.unrouted(method, path);
    p.stats.status(404);
    send(res, unrouted(), {});
    return;
  }

  let query: ReturnType<typeof parseQuery>;
  try {
    query = parseQuery(search);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    p.stats.status(400);
    send(res, { status: 400, body: { errors: [err.message] } }, {});
    return;
  }

  const presented = tokenOf(req, query.auth_token);
  const token = presented ? p.sim.world.token(presented) : undefined;
  if (!token || !p.sim.tokenValid(token)) {
    // Unknown, revoked, or a project notifier API key (never a valid personal token): 401. The v2 body is not
    // confirmed anywhere (docs/bugsnag-api.md §18); this uses the API's usual `errors` envelope.
    p.stats.unauthorized();
    p.stats.status(401);
    send(
      res,
      { status: 401, body: { errors: [presented ? 'Invalid authentication token' : 'Authentication required'] } },
      {},
    );
    return;
  }

  const role = token.role;
  const masked = maskToken(token.token);
  const endpoint = `${method} ${match.route.template}`;
  const done = p.stats.begin(role, masked, endpoint);
  res.once('close', done);

  if (!versionOf(req)) p.stats.withoutVersion();
  if (req.headers['x-bugsnag-api']?.toString().trim().toLowerCase() !== 'true') p.stats.withoutBugsnagApi();
  if (isHash(query.filters)) {
    for (const name of Object.keys(query.filters)) if (!eventField(name)) p.stats.ignoredFilter(endpoint, name);
  }

  const rate = p.limiter.take(role, nowMs);
  if (!rate.allowed) {
    p.stats.rateLimited(role, masked);
    p.stats.status(429);
    send(res, { status: 429, body: { errors: ['Too many requests'] } }, { 'Retry-After': String(rate.retryAfterSec) });
    return;
  }
  const rateHeaders = { 'X-Ratelimit-Limit': String(rate.limit), 'X-Ratelimit-Remaining': String(rate.remaining) };

  // The whole request is read before any fault delay, as a real server has it once the client has sent it: a client
  // that goes away while the answer is delayed (killed mid-request) still gets its write applied.
  let body: unknown;
  try {
    body = method === 'GET' || method === 'HEAD' ? undefined : await readJsonBody(req);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    p.stats.status(400);
    send(res, { status: 400, body: { errors: [err.message] } }, rateHeaders);
    return;
  }

  const fault = p.faults.decide(method, rawUrl, path, nowMs);
  if (fault.delayMs > 0) {
    p.stats.fault('slow');
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }
  if (fault.status !== null) {
    p.stats.fault(fault.storm ? '429storm' : String(fault.status));
    p.stats.status(fault.status);
    if (fault.status === 429) {
      p.stats.rateLimited(role, masked);
      send(
        res,
        { status: 429, body: { errors: ['Too many requests'] } },
        { 'Retry-After': String(fault.retryAfterSec) },
      );
    } else {
      send(res, { status: fault.status, body: { errors: [statusText(fault.status)] } }, rateHeaders);
    }
    return;
  }

  const ctx: Ctx = { sim: p.sim, token, query, path, origin: p.origin(), nowMs, body };
  let reply: Reply;
  try {
    reply = await match.route.handler(ctx, match.params);
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
    reply = err.reply;
  }
  p.stats.status(reply.status);
  if (Array.isArray(reply.body)) p.stats.rows(role, reply.body.length);
  if (fault.body) p.stats.fault(fault.body);
  send(res, reply, rateHeaders, fault.body);
}

/** `Authorization: token <t>` (scheme case-insensitive), or `?auth_token=` which the API also accepts. */
function tokenOf(req: IncomingMessage, queryToken: unknown): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^token\s+(\S+)\s*$/i.exec(h);
    return m ? m[1]! : h.trim();
  }
  return typeof queryToken === 'string' && queryToken ? queryToken : null;
}

/**
 * `X-Version: 2` or `Accept: application/json; version=2`. The API's default version moves as old ones are switched
 * off, so a client must send it; the simulator serves v2 either way and counts the requests that did not ask.
 */
function versionOf(req: IncomingMessage): string | null {
  const x = req.headers['x-version'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const m = /version=(\d+)/.exec(req.headers.accept ?? '');
  return m ? m[1]! : null;
}

function statusText(status: number): string {
  return status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : 'Internal Server Error';
}

function send(
  res: ServerResponse,
  reply: Reply,
  extra: Record<string, string>,
  fault: 'reset' | 'truncate' | null = null,
): void {
  const headers: Record<string, string> = { ...extra, ...(reply.headers ?? {}) };
  if (reply.body === undefined || reply.status === 204) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
  headers['Content-Type'] = JSON_TYPE;
  if (fault === 'truncate') {
    // A complete HTTP message (chunked) whose JSON stops halfway: what a broken proxy or a killed worker produces.
    res.writeHead(reply.status, headers);
    res.end(payload.subarray(0, Math.floor(payload.length / 2)));
    return;
  }
  headers['Content-Length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  if (fault === 'reset') {
    res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.destroy());
    return;
  }
  res.end(payload);
}
