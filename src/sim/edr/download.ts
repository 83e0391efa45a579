import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlib, createGzip } from 'node:zlib';
import { eventMatcher } from '../data/counting.js';
import type { FaultInjector } from '../http/faults.js';
import type { StatsCollector } from '../http/stats.js';
import type { SimState } from '../state.js';
import { eventFull } from '../views/events.js';
import { DOWNLOAD_PREFIX, type EdrRecord } from './store.js';

/**
 * The signed download of an event data request: one JSON array of full event reports, generated while it is sent.
 * Records are rendered in batches of about CHUNK_BYTES and handed to a stream pipeline, which waits whenever the
 * socket (or gzip) is full, so a million-event body never sits in memory. No token is read and no rate limit applies;
 * the fault spec does (with `reset` cutting the connection and `truncate` ending the body cleanly, each halfway
 * through the records). Answers other than 200 are XML, the way a storage bucket answers (docs/simulator-edr.md).
 */
export const DOWNLOAD_ENDPOINT = `GET ${DOWNLOAD_PREFIX}{file}`;
const CHUNK_BYTES = 64 * 1024;

export interface DownloadDeps {
  sim: SimState;
  faults: FaultInjector;
  stats: StatsCollector;
  origin(): string;
}

export function isDownloadPath(path: string): boolean {
  return path.startsWith(DOWNLOAD_PREFIX);
}

export async function serveDownload(
  d: DownloadDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawUrl: string,
  path: string,
  nowMs: number,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  d.stats.download(DOWNLOAD_ENDPOINT);
  if (method !== 'GET')
    return bucketError(d, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  const query = new URLSearchParams(rawUrl.slice(path.length + 1));
  const verdict = d.sim.edr.verify(
    path.slice(DOWNLOAD_PREFIX.length),
    query.get('expires') ?? undefined,
    query.get('signature') ?? undefined,
    nowMs,
  );
  if ('refused' in verdict) {
    d.stats.downloadCount('refused');
    return bucketError(d, res, 403, 'AccessDenied', verdict.refused);
  }

  const fault = d.faults.decide(method, rawUrl, path, nowMs);
  if (fault.delayMs > 0) {
    d.stats.fault('slow');
    await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }
  if (fault.status !== null) {
    d.stats.fault(fault.storm ? '429storm' : String(fault.status));
    const headers: Record<string, string> = fault.status === 429 ? { 'Retry-After': String(fault.retryAfterSec) } : {};
    return bucketError(
      d,
      res,
      fault.status,
      fault.status === 429 ? 'SlowDown' : 'InternalError',
      'Please try again.',
      headers,
    );
  }
  if (fault.body) d.stats.fault(fault.body);

  const record = verdict.record;
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Disposition': `attachment; filename="${record.id}.json"`,
    'Cache-Control': 'private, no-store',
    Vary: 'Accept-Encoding',
  };
  if (gzip) headers['Content-Encoding'] = 'gzip';
  d.stats.status(200);
  res.writeHead(200, headers);

  // The fault decides how many records go out before the body stops (reset: connection destroyed; truncate: ended).
  const stopAfter = fault.body ? Math.floor(record.total / 2) : Number.POSITIVE_INFINITY;
  const body = Readable.from(chunks(d, record, stopAfter, fault.body === 'reset'));
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      d.stats.downloadCount('bytes', chunk.length);
      done(null, chunk);
    },
  });
  try {
    // Generating the records is the bottleneck already; the fastest gzip level keeps compression from doubling it.
    await (gzip ? pipeline(body, createGzip({ level: zlib.Z_BEST_SPEED }), count, res) : pipeline(body, count, res));
    d.stats.downloadCount(fault.body ? 'cut' : 'completed');
  } catch {
    // A reset fault, or the client went away: the pipeline has destroyed the response (and so the connection).
    d.stats.downloadCount('cut');
  }
}

/** The array, in text chunks of about CHUNK_BYTES: project by project, oldest event first. */
async function* chunks(d: DownloadDeps, r: EdrRecord, stopAfter: number, cut: boolean): AsyncGenerator<string> {
  const origin = d.origin();
  let buf = '[';
  let sent = 0;
  parts: for (const part of r.parts) {
    const pd = d.sim.project(part.gi);
    const match = eventMatcher(pd, r.compiled, null);
    for (let i = part.lo; i < part.hi; i++) {
      if (!match(i)) continue;
      if (sent >= stopAfter) break parts;
      const full = eventFull(pd, origin, i);
      buf += (sent === 0 ? '' : ',') + JSON.stringify(r.reportType === 'gdpr' ? gdprView(full) : full);
      sent++;
      d.stats.downloadCount('records');
      if (buf.length >= CHUNK_BYTES) {
        yield buf;
        buf = '';
      }
    }
  }
  if (stopAfter === Number.POSITIVE_INFINITY) {
    yield `${buf}]`;
    return;
  }
  // A faulted body never ends the array, even when it holds fewer records than the fault's halfway mark.
  yield buf;
  if (cut) throw new Error('fault: connection reset mid-body');
}

/**
 * `report_type: gdpr` returns "only user-related metadata" (the spec names event.user, event.device and
 * event.request); the event's identity is kept so the rows can be matched to events.
 */
function gdprView(full: Record<string, unknown>): Record<string, unknown> {
  const { id, url, project_url, error_id, received_at, user, device, request } = full;
  return { id, url, project_url, error_id, received_at, user, device, request };
}

/** `gzip` listed without `q=0` (or `*` with a non-zero q). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    if (q === undefined || Number(q) > 0) return true;
  }
  return false;
}

function bucketError(
  d: DownloadDeps,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  d.stats.status(status);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>\n`;
  res.writeHead(status, {
    ...extra,
    'Content-Type': 'application/xml',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
