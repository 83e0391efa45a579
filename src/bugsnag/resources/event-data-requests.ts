import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SnagError } from '../../core/errors.js';
import { ALLOW_LINK_LOCAL_ENV, forbiddenHostReason, linkLocalAllowed } from '../../http/address-guard.js';
import { gunzipIfNeeded, JsonStreamError, jsonArrayPages } from '../../http/json-array.js';
import type { StreamResponse } from '../../http/stream-transport.js';
import type { ApiContext, CallOptions } from '../context.js';
import { filterObject, type Filters } from '../filters.js';
import { EventDataRequest } from '../models/event-data-request.js';
import { Event } from '../models/event.js';
import { seg } from '../query.js';

/**
 * Event data requests (docs/bugsnag-api.md §2.13): the bulk way out of the events list's 30-rows-per-request limit.
 * create → poll (`waitUntilComplete`, with backoff) → `download` the signed URL (no token, outside the per-token rate
 * limiter) → `readPages` parses the one JSON array it serves into pages of events, streaming, in bounded memory.
 *
 * `create` is a POST and, like every write, is sent once (never retried automatically): a retried POST would start a
 * second export. It only reads data, so a caller may safely try again after a failure.
 */
export type EventDataRequestScope = string | { projectId: string } | { organizationId: string };

export interface CreateEventDataRequestOptions extends CallOptions {
  /** The events to export; the same filters as the events list (`{}` or none: every event). */
  filters?: Filters;
  /** `gdpr`: only user-related data (user, device, request) instead of full reports. */
  reportType?: 'gdpr';
}

export interface WaitOptions extends CallOptions {
  /** First pause between polls; doubles up to `maxDelayMs`. Default 1 s. */
  initialDelayMs?: number;
  /** Default 60 s (the public clients poll every one or two minutes). */
  maxDelayMs?: number;
  /** Give up after this long. Default 2 h. */
  timeoutMs?: number;
  /** Each answer while waiting (status, `total` once known), for progress displays. */
  onPoll?: (request: EventDataRequest) => void;
  /** Before each pause between polls, how long it will be (a caller may rather stop and poll again later). */
  onWait?: (ms: number) => void;
}

export interface EventDataDownload {
  status: number;
  /** Response headers (`Content-Encoding`, `Content-Length` when the server sent one…). */
  headers: Headers;
  /** The JSON bytes, already decompressed when the server sent `Content-Encoding: gzip`. */
  body: Readable;
  /** Bytes received over the wire so far (compressed size when compressed). */
  bytesReceived(): number;
}

export interface ReadPagesOptions extends CallOptions {
  /** Events per page. Default 500. */
  pageSize?: number;
  /** Largest single event accepted, in bytes (default 64 MiB). */
  maxEventBytes?: number;
  /** Called after each page with the running totals, for progress. */
  onProgress?: (progress: { records: number; bytes: number }) => void;
}

export interface EventDataRequestsResource {
  /** `POST /projects/{p}/event_data_requests` (a project id) or `/organizations/{o}/event_data_requests`. */
  create(scope: EventDataRequestScope, options?: CreateEventDataRequestOptions): Promise<EventDataRequest>;
  /** `GET …/event_data_requests/{id}`, under the same project or organization it was created for. */
  get(scope: EventDataRequestScope, id: string, options?: CallOptions): Promise<EventDataRequest>;
  /** Polls `get` with backoff until COMPLETED (with its `url`). EXPIRED, or no answer in time, is an error. */
  waitUntilComplete(
    scope: EventDataRequestScope,
    id: string,
    options?: WaitOptions,
  ): Promise<EventDataRequest & { url: string }>;
  /** GET a signed download URL: never with the token, never through the rate limiter. */
  download(url: string, options?: CallOptions): Promise<EventDataDownload>;
  /** Download and parse into pages of events (each checked by the Event model), streaming. */
  readPages(url: string, options?: ReadPagesOptions): AsyncGenerator<Event[], void, undefined>;
}

/** What the client lends this resource beyond ApiContext: its token-free stream transport and its clock's sleep. */
export interface EventDataRequestDeps {
  stream(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<StreamResponse>;
  sleep(ms: number, signal: AbortSignal | undefined): Promise<void>;
  now(): number;
}

function scopePath(scope: EventDataRequestScope): string {
  if (typeof scope === 'string') return `/projects/${seg('project id', scope)}`;
  if (scope && typeof scope === 'object' && 'projectId' in scope)
    return `/projects/${seg('project id', scope.projectId)}`;
  if (scope && typeof scope === 'object' && 'organizationId' in scope)
    return `/organizations/${seg('organization id', scope.organizationId)}`;
  throw new SnagError('config', 'An event data request needs a project id or { organizationId }.', {
    hint: 'Give the project id, or { organizationId } for a whole organization.',
  });
}

export function eventDataRequestsResource(api: ApiContext, deps: EventDataRequestDeps): EventDataRequestsResource {
  const get = (scope: EventDataRequestScope, id: string, o?: CallOptions) =>
    api.get(`${scopePath(scope)}/event_data_requests/${seg('event data request id', id)}`, [], EventDataRequest, o);

  const download = async (url: string, o: CallOptions = {}): Promise<EventDataDownload> => {
    const target = checkDownloadUrl(url);
    // No Authorization header: the link is pre-signed, and the token must never travel to a storage host.
    const res = await deps
      .stream(url, { Accept: 'application/json', 'Accept-Encoding': 'gzip' }, o.signal)
      .catch((err: unknown) => {
        // The transport's address guard refused what the link's host name resolved to.
        if (err instanceof SnagError && err.details.errorCode === 'ELINKLOCAL') {
          const { reason, resolvedTo } = err.details as { reason?: string; resolvedTo?: string };
          throw downloadRefusedError(target, reason ?? 'a link-local or metadata address', resolvedTo);
        }
        throw downloadNetworkError(err, target, 0);
      });
    if (res.status !== 200) {
      const text = await readSome(res.body);
      throw downloadStatusError(res.status, target, text);
    }
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(null, chunk);
      },
    });
    const gzip = /\bgzip\b/i.test(res.headers.get('content-encoding') ?? '');
    const stages: Array<NodeJS.ReadWriteStream> = gzip ? [count, createGunzip()] : [count];
    const body = stages[stages.length - 1] as unknown as Readable;
    // A failure anywhere (a reset mid-body, a bad gzip stream) destroys the last stage with it, so readers see it;
    // a reader that stops early destroys the last stage, which closes the connection.
    pipeline([res.body, ...stages], () => undefined);
    return { status: res.status, headers: res.headers, body, bytesReceived: () => received };
  };

  return {
    create: async (scope, o = {}) => {
      const body: Record<string, unknown> = { filters: filterObject(o.filters, api.now()) };
      if (o.reportType !== undefined) {
        if (o.reportType !== 'gdpr')
          throw new SnagError('config', `Unknown report type "${String(o.reportType)}".`, {
            hint: 'Leave it out for full reports, or use "gdpr".',
          });
        body.report_type = o.reportType;
      }
      const created = await api.write('POST', `${scopePath(scope)}/event_data_requests`, [], body, EventDataRequest, o);
      if (created === null) {
        throw new SnagError(
          'not_bugsnag',
          'Bugsnag answered the event data request with no content; expected the request.',
          {
            hint: 'Check the host; a Bugsnag API answers with the created request.',
          },
        );
      }
      return created;
    },
    get,
    waitUntilComplete: async (scope, id, o = {}) => {
      const started = deps.now();
      const timeoutMs = o.timeoutMs ?? 2 * 3_600_000;
      let delay = Math.max(1, o.initialDelayMs ?? 1_000);
      const maxDelay = Math.max(delay, o.maxDelayMs ?? 60_000);
      for (;;) {
        const r = await get(scope, id, o);
        o.onPoll?.(r);
        if (r.status === 'COMPLETED' && r.url) return r as EventDataRequest & { url: string };
        if (r.status === 'EXPIRED') {
          throw new SnagError('not_found', `The event data request ${id} has expired; its data is gone.`, {
            hint: 'Make a new event data request.',
            details: { eventDataRequest: id, expired: true },
          });
        }
        const left = timeoutMs - (deps.now() - started);
        if (left <= 0) {
          throw new SnagError(
            'server_error',
            `The event data request ${id} was not ready after ${Math.round(timeoutMs / 1000)} s (status ${r.status}).`,
            {
              hint: 'Bugsnag may be busy; wait and check the request again, or ask for a smaller time range.',
              details: { eventDataRequest: id, status: r.status },
            },
          );
        }
        o.onWait?.(Math.min(delay, left));
        await deps.sleep(Math.min(delay, left), o.signal);
        delay = Math.min(delay * 2, maxDelay);
      }
    },
    download,
    readPages: async function* (url, o = {}) {
      const target = checkDownloadUrl(url);
      const pageSize = o.pageSize ?? 500;
      const d = await download(url, o);
      let records = 0;
      try {
        for await (const raw of jsonArrayPages(gunzipIfNeeded(d.body), pageSize, {
          maxElementBytes: o.maxEventBytes,
        })) {
          const page: Event[] = [];
          for (const item of raw) {
            const parsed = Event.parse(item);
            if (!parsed.ok) {
              throw new SnagError(
                'not_bugsnag',
                `Record ${records + page.length + 1} of the event data download is not an event: ${parsed.problem}.`,
                {
                  hint: 'The download link may point somewhere else than a Bugsnag export.',
                  details: { host: target.origin, path: target.pathname, records: records + page.length },
                },
              );
            }
            page.push(parsed.value);
          }
          records += page.length;
          o.onProgress?.({ records, bytes: d.bytesReceived() });
          yield page;
        }
      } catch (err) {
        if (err instanceof SnagError) throw err;
        throw downloadBodyError(err, target, records);
      } finally {
        d.body.destroy();
      }
    },
  };
}

/**
 * Only absolute http(s) URLs, never one carrying a token in its query, and never one whose host is a link-local or
 * metadata address as written (the link comes from the API's answer: a hostile host could aim it at the machine's
 * metadata service; what a name resolves to is checked again by the transport, at connection time). Returns the URL.
 */
function checkDownloadUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SnagError('config', 'The event data download link is not a URL.', {
      hint: 'Use the url of a COMPLETED event data request.',
    });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new SnagError('config', `The event data download link uses ${u.protocol}, not http(s).`, {
      hint: 'Use the url of a COMPLETED event data request.',
    });
  }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const forbidden = linkLocalAllowed() ? null : forbiddenHostReason(host);
  if (forbidden) throw downloadRefusedError(u, forbidden);
  if (u.searchParams.has('auth_token')) {
    throw new SnagError('config', 'Refusing to download from a URL that carries a token (auth_token).', {
      hint: 'Use the signed url of the event data request as Bugsnag gave it.',
    });
  }
  return u;
}

/** Where, for messages: origin and path, never the query (the signature is as good as a password until it expires). */
const where = (u: URL) => `${u.origin}${u.pathname}`;

async function readSome(body: Readable): Promise<string> {
  let text = '';
  try {
    for await (const c of body) {
      text += (c as Buffer).toString('utf8');
      if (text.length > 2048) break;
    }
  } catch {
    // The error text is only for the message.
  } finally {
    body.destroy();
  }
  return text.slice(0, 2048);
}

function downloadRefusedError(u: URL, reason: string, resolvedTo?: string): SnagError {
  const via = resolvedTo ? ` (it resolves to ${resolvedTo})` : '';
  return new SnagError(
    'config',
    `Refused to download the event data export from ${where(u)}${via}: that is ${reason}, never where Bugsnag serves exports.`,
    {
      hint:
        "The link came in the API host's answer: check that the credential's host is your Bugsnag API. " +
        `If your install really serves exports on such an address, set ${ALLOW_LINK_LOCAL_ENV}=1 where snagsync runs.`,
      details: {
        host: u.origin,
        path: u.pathname,
        errorCode: 'ELINKLOCAL',
        reason,
        ...(resolvedTo ? { resolvedTo } : {}),
      },
    },
  );
}

function downloadStatusError(status: number, u: URL, text: string): SnagError {
  const said = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? (/^\s*\{/.test(text) ? text.trim().slice(0, 200) : '');
  const details = { status, host: u.origin, path: u.pathname, ...(said ? { said } : {}) };
  const tail = said ? `: ${said}` : '';
  if (status === 403 || status === 401) {
    return new SnagError('forbidden', `The event data download at ${where(u)} was refused (${status}${tail}).`, {
      hint: 'Download links expire soon after they are handed out: fetch the event data request again for a fresh link (or make a new request if it has expired).',
      status,
      details: { ...details, downloadRefused: true },
    });
  }
  if (status === 404) {
    return new SnagError('not_found', `The event data download at ${where(u)} was not found (404${tail}).`, {
      hint: 'Make a new event data request.',
      status,
      details,
    });
  }
  if (status === 429 || status === 503) {
    return new SnagError(
      'rate_limited',
      `The event data download at ${where(u)} was refused for now (${status}${tail}).`,
      { hint: 'Wait a little and download again.', status, details },
    );
  }
  if (status >= 500) {
    return new SnagError('server_error', `The event data download at ${where(u)} failed (${status}${tail}).`, {
      hint: 'Download again in a moment.',
      status,
      details,
    });
  }
  return new SnagError(
    'not_bugsnag',
    `The event data download at ${where(u)} answered ${status}${tail}, not the export.`,
    {
      hint: 'Use the url of a COMPLETED event data request, as Bugsnag gave it.',
      status,
      details,
    },
  );
}

function downloadNetworkError(err: unknown, u: URL, records: number): SnagError {
  if (err instanceof SnagError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'AbortError')
    return new SnagError('aborted', 'Interrupted: the event data download was cancelled.', { cause: err });
  return new SnagError(
    'network',
    `The event data download from ${where(u)} failed after ${records} records: ${e?.message ?? String(err)}.`,
    {
      hint: 'Download again; a resumable reader can skip the records it already wrote.',
      cause: err,
      details: {
        host: u.origin,
        path: u.pathname,
        records,
        incomplete: true,
        ...(e?.code ? { errorCode: e.code } : {}),
      },
    },
  );
}

/** A body that stopped early: a cut connection (network) or a complete HTTP message holding part of the array. */
function downloadBodyError(err: unknown, u: URL, records: number): SnagError {
  const zlibEof = (err as { code?: string })?.code === 'Z_BUF_ERROR';
  if (err instanceof JsonStreamError || zlibEof) {
    const truncated = zlibEof || (err as JsonStreamError).problem === 'truncated';
    return new SnagError(
      truncated ? 'server_error' : 'not_bugsnag',
      truncated
        ? `The event data download from ${where(u)} was cut off after ${records} records (incomplete JSON).`
        : `The event data download from ${where(u)} is not a JSON array of events: ${(err as Error).message}.`,
      {
        hint: truncated
          ? 'Download again; a resumable reader can skip the records it already wrote.'
          : 'Check that the link is an event data export.',
        cause: err,
        details: { host: u.origin, path: u.pathname, records, incomplete: truncated },
      },
    );
  }
  return downloadNetworkError(err, u, records);
}
