import { SnagError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { redact } from '../core/redact.js';
import { abortReason } from '../core/sleep.js';
import type { Clock } from './clock.js';
import type { ClientEventListener } from './events.js';
import { classifyTransportError, type TransportFailure } from './net-errors.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  backoffDelay,
  isIdempotent,
  isRetryableStatus,
  parseRetryAfter,
  rateLimitDelay,
  type RetryPolicy,
} from './retry.js';
import type { HttpMethod, Transport, TransportResponse } from './transport.js';

/**
 * The request pipeline: rate limiter → transport with a per-attempt timeout → learn rate-limit headers → retry or
 * hand back. It returns every HTTP answer it did not retry away (the Bugsnag layer maps statuses to errors), and
 * throws SnagError only for failures without an answer: network, TLS, aborted.
 */
export interface PipelineConfig {
  transport: Transport;
  limiter: RateLimiter;
  clock: Clock;
  timeoutMs: number;
  retry: RetryPolicy;
  emit: ClientEventListener;
  logger?: Logger | undefined;
  /** Aborts everything this client does (e.g. Ctrl-C for the run). */
  signal?: AbortSignal | undefined;
}

export interface PipelineRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** A 2xx body must be JSON: an unparsable JSON body on a read is retried as a truncated transfer. */
  expectJson?: boolean;
}

/** How the body looked: lets the caller tell "not Bugsnag" (an HTML page) from a cut-off JSON answer. */
export type BodyKind = 'empty' | 'json' | 'invalid-json' | 'html' | 'text';

export interface PipelineResponse {
  method: HttpMethod;
  url: string;
  status: number;
  headers: Headers;
  text: string;
  bodyKind: BodyKind;
  /** The parsed body when `bodyKind` is `json`. */
  json?: unknown;
  /** Attempts made, first one included. */
  attempts: number;
}

export async function send(config: PipelineConfig, request: PipelineRequest): Promise<PipelineResponse> {
  const linked = linkSignals(config.signal, request.signal);
  try {
    return await sendLinked(config, request, linked.signal);
  } finally {
    linked.dispose();
  }
}

async function sendLinked(
  config: PipelineConfig,
  request: PipelineRequest,
  signal: AbortSignal | undefined,
): Promise<PipelineResponse> {
  const { clock, retry: policy, emit } = config;
  const idempotent = isIdempotent(request.method);
  const safeUrl = redact(request.url);
  let retries = 0;
  let rateRetries = 0;

  for (let attempt = 1; ; attempt++) {
    let ticket: Awaited<ReturnType<typeof config.limiter.acquire>>;
    try {
      ticket = await config.limiter.acquire(signal, emit);
    } catch (err) {
      throw abortedError(err);
    }
    const started = clock.now();
    let response: TransportResponse | undefined;
    let failure: TransportFailure | undefined;
    try {
      response = await attemptOnce(config, request, signal);
    } catch (err) {
      if (signal?.aborted) {
        ticket.release();
        throw abortedError(abortReason(signal));
      }
      // A refusal decided before connecting (a link-local address) is final: never retried.
      if (err instanceof SnagError) {
        ticket.release();
        throw err;
      }
      failure =
        err instanceof AttemptTimeout
          ? { kind: 'network', code: 'TIMEOUT', reason: `no answer within ${config.timeoutMs} ms` }
          : classifyTransportError(err);
    }
    const learned = response ? config.limiter.observe(ticket, response.headers, response.status) : undefined;
    ticket.release();
    const ms = clock.now() - started;
    emit(
      response
        ? { type: 'request', method: request.method, url: safeUrl, status: response.status, ms, attempt }
        : { type: 'request', method: request.method, url: safeUrl, error: failure!.reason, ms, attempt },
    );
    config.logger?.debug(
      { method: request.method, url: safeUrl, status: response?.status, error: failure?.reason, ms, attempt },
      'bugsnag request',
    );
    if (learned) emit({ type: 'rate-limit', ...learned });

    const retryWith = async (waitMs: number, detail: { status?: number; error?: string }, viaLimiter = false) => {
      emit({ type: 'retry', method: request.method, url: safeUrl, attempt, waitMs, ...detail });
      config.logger?.info({ method: request.method, url: safeUrl, attempt, waitMs, ...detail }, 'bugsnag retry');
      // After a 429 the limiter holds the wait (shared by every client of the token) and reports it itself.
      if (!viaLimiter) {
        try {
          await clock.sleep(waitMs, signal);
        } catch (err) {
          throw abortedError(err);
        }
      }
    };

    if (!response) {
      const f = failure!;
      if (f.kind === 'network' && idempotent && retries < policy.retries) {
        retries++;
        await retryWith(backoffDelay(retries, policy, clock.random()), { error: f.reason });
        continue;
      }
      throw transportError(f, request, attempt, config.timeoutMs);
    }

    const { status, headers } = response;
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(headers.get('retry-after'), clock.now());
      const waitMs = rateLimitDelay(retryAfterMs, config.limiter.window, policy, clock.random());
      config.limiter.block(clock.now() + waitMs);
      if (idempotent && rateRetries < policy.rateLimitRetries) {
        rateRetries++;
        await retryWith(waitMs, { status }, true);
        continue;
      }
      return finish(request, response, attempt);
    }
    if (isRetryableStatus(status) && idempotent && retries < policy.retries) {
      retries++;
      const retryAfterMs = parseRetryAfter(headers.get('retry-after'), clock.now());
      const backoff = backoffDelay(retries, policy, clock.random());
      const waitMs = Math.max(backoff, Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
      await retryWith(waitMs, { status });
      continue;
    }
    const done = finish(request, response, attempt);
    const truncated = request.expectJson && status >= 200 && status < 300 && done.bodyKind === 'invalid-json';
    if (truncated && idempotent && retries < policy.retries) {
      retries++;
      await retryWith(backoffDelay(retries, policy, clock.random()), { status, error: 'incomplete JSON body' });
      continue;
    }
    return done;
  }
}

class AttemptTimeout extends Error {
  constructor() {
    super('attempt timed out');
    this.name = 'TimeoutError';
  }
}

/** One transport call under its own timeout, also cut short when the caller aborts (even if the transport ignores its signal). */
async function attemptOnce(
  config: PipelineConfig,
  request: PipelineRequest,
  signal: AbortSignal | undefined,
): Promise<TransportResponse> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cutShort = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new AttemptTimeout();
      controller.abort(e);
      reject(e);
    }, config.timeoutMs);
    onAbort = () => {
      const reason = abortReason(signal!);
      controller.abort(reason);
      reject(reason);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  cutShort.catch(() => undefined);
  try {
    const call = config.transport({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal: controller.signal,
    });
    return await Promise.race([call, cutShort]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function finish(request: PipelineRequest, response: TransportResponse, attempts: number): PipelineResponse {
  const { kind, json } = inspectBody(response);
  const out: PipelineResponse = {
    method: request.method,
    url: request.url,
    status: response.status,
    headers: response.headers,
    text: response.body,
    bodyKind: kind,
    attempts,
  };
  if (kind === 'json') out.json = json;
  return out;
}

export function inspectBody(response: TransportResponse): { kind: BodyKind; json?: unknown } {
  const text = response.body;
  if (text.trim() === '') return { kind: 'empty' };
  const type = response.headers.get('content-type') ?? '';
  if (/html/i.test(type) || /^\s*</.test(text)) return { kind: 'html' };
  try {
    return { kind: 'json', json: JSON.parse(text) as unknown };
  } catch {
    // Only a body that claims to be JSON (or says nothing) counts as a cut-off transfer worth retrying.
    return { kind: type === '' || /json/i.test(type) ? 'invalid-json' : 'text' };
  }
}

/**
 * One signal for "the client or this call was aborted". Done by hand rather than with AbortSignal.any, so that the
 * listener on the long-lived client signal is removed after every request (a sync makes thousands).
 */
function linkSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!a || !b) return { signal: a ?? b, dispose: () => undefined };
  const controller = new AbortController();
  const onA = () => controller.abort(a.reason);
  const onB = () => controller.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  else {
    a.addEventListener('abort', onA, { once: true });
    b.addEventListener('abort', onB, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener('abort', onA);
      b.removeEventListener('abort', onB);
    },
  };
}

function abortedError(err: unknown): SnagError {
  if (err instanceof SnagError) return err;
  return new SnagError('aborted', 'Interrupted: the request to Bugsnag was cancelled.', { cause: err });
}

function transportError(
  failure: TransportFailure,
  request: PipelineRequest,
  attempts: number,
  timeoutMs: number,
): SnagError {
  const url = new URL(request.url);
  const details = {
    method: request.method,
    path: url.pathname,
    host: url.origin,
    attempts,
    ...(failure.code ? { errorCode: failure.code } : {}),
  };
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  if (failure.kind === 'tls') {
    return new SnagError('tls', `Could not make a secure connection to ${url.origin}: ${failure.reason}.`, {
      hint:
        'Check the host name. For an on-premise server with a private certificate authority, start snagsync with ' +
        'NODE_EXTRA_CA_CERTS=/path/to/ca.pem. Never disable certificate checks.',
      details,
    });
  }
  const hint =
    failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN'
      ? 'Check the spelling of the host (the API host is usually api.<domain>) and your DNS or proxy settings.'
      : failure.code === 'TIMEOUT'
        ? `Bugsnag did not answer in time. Try again later, or raise the timeout (it is ${timeoutMs} ms).`
        : 'Check the host, your network connection or proxy, and try again.';
  return new SnagError('network', `Could not reach ${url.origin}${tries}: ${failure.reason}.`, { hint, details });
}
