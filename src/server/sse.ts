import type { FastifyReply, FastifyRequest } from 'fastify';
import { SnagError } from '../core/errors.js';
import { HttpProblem } from './errors.js';

/**
 * A server-sent events response (`text/event-stream`). Fastify is told to step aside (`hijack`) and the stream is
 * written on the raw response, keeping the headers every answer gets (CSP, no-store…). A comment line goes out every
 * `heartbeatMs` so that proxies and browsers do not drop a quiet connection (a sync waiting a minute for the rate
 * limit sends nothing else). The server closes every open stream before it stops (`closeAll`), or it would wait
 * for them forever.
 *
 * Each open stream holds a socket, a heartbeat timer and a subscription for as long as the client stays: the server
 * keeps at most `SseStreams.max` open at once (SNAGSYNC_MAX_SSE, 100 by default). One more is refused before anything
 * is written — a 503 with the API's error and Retry-After — and a stream that closes, for whatever reason, frees its
 * place.
 */

export const MAX_SSE_ENV = 'SNAGSYNC_MAX_SSE';
export const DEFAULT_MAX_SSE = 100;
/** What a refused client is told to wait: long enough for a page to be closed, short enough for a person waiting. */
const RETRY_AFTER_SECONDS = 5;

/** The open event streams of a server, and how many may be open at once. */
export class SseStreams extends Set<SseStream> {
  constructor(readonly max: number = DEFAULT_MAX_SSE) {
    super();
  }
}

/** The option wins, then SNAGSYNC_MAX_SSE from the runtime's environment, then 100. */
export function maxStreamsOf(option: number | undefined, env: NodeJS.ProcessEnv): number {
  if (option !== undefined) return option;
  const raw = env[MAX_SSE_ENV]?.trim();
  if (!raw) return DEFAULT_MAX_SSE;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
    throw new SnagError('config', `${MAX_SSE_ENV} is "${raw}", which is not a number of streams.`, {
      hint: `Set ${MAX_SSE_ENV} to a whole number of at least 1 (the default is ${DEFAULT_MAX_SSE}), or unset it.`,
      details: { field: MAX_SSE_ENV },
    });
  return n;
}

export interface SseEvent {
  id?: number;
  event: string;
  data: unknown;
}

export interface SseOptions {
  heartbeatMs: number;
  /** Tells EventSource how long to wait before reconnecting after a dropped connection. */
  retryMs?: number;
}

export class SseStream {
  private ended = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
    options: SseOptions,
    private readonly registry: SseStreams,
  ) {
    // Refused while the reply is still Fastify's: the error handler answers in the API's shape, header included.
    if (registry.size >= registry.max) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      throw new HttpProblem(
        503,
        'too_many_streams',
        `The server already has ${registry.max} live progress streams open, its limit.`,
        `Try again in ${RETRY_AFTER_SECONDS} s (Retry-After), or close a page that follows a run.`,
      );
    }
    reply.hijack();
    const raw = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream and deliver it all at the end.
      'x-accel-buffering': 'no',
    });
    raw.write(`retry: ${options.retryMs ?? 2000}\n\n`);
    this.heartbeat = setInterval(() => this.comment('heartbeat'), options.heartbeatMs);
    this.heartbeat.unref();
    registry.add(this);
    // The client went away (tab closed, EventSource.close()): stop everything that feeds this stream.
    request.raw.on('close', () => this.finish());
    raw.on('close', () => this.finish());
  }

  get closed(): boolean {
    return this.ended;
  }

  send(e: SseEvent): void {
    if (this.ended) return;
    const data = JSON.stringify(e.data);
    // JSON.stringify never emits a raw newline, so one data line is always enough.
    this.reply.raw.write(`${e.id !== undefined ? `id: ${e.id}\n` : ''}event: ${e.event}\ndata: ${data}\n\n`);
  }

  comment(text: string): void {
    if (this.ended) return;
    this.reply.raw.write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the stream (the run is over); `hard`: the server stops, so the connection goes too once flushed. */
  close(hard = false): void {
    if (!this.ended) this.reply.raw.end();
    this.finish(hard);
  }

  private finish(dropSocket = false): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.registry.delete(this);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
    if (dropSocket) this.reply.raw.socket?.destroySoon();
    for (const l of this.closeListeners.splice(0)) {
      try {
        l();
      } catch {
        // A listener's failure must not keep the others from cleaning up.
      }
    }
  }
}

export function closeAllStreams(registry: SseStreams): void {
  for (const s of [...registry]) s.close(true);
}
