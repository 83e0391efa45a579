import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunEvent } from '../../engine/index.js';
import type { Run } from '../../store/models.js';
import { HttpProblem } from '../errors.js';
import { SseStream } from '../sse.js';
import type { ServerDeps } from '../types.js';
import { serverAdvice, withServerAdvice } from './advice.js';
import { runView } from './view.js';

/**
 * A run's progress as server-sent events: `id: <seq>`, `event: <type>`, `data: <the event as JSON>`.
 *
 * - A run of this process: its history after `Last-Event-ID` (header, or `?last_event_id=` for a first connection),
 *   then live events, closing after `run-done`. Page events come at most every `PAGE_FLUSH_MS` per stream and
 *   partition (each carries running totals, so the latest says it all); everything else goes out at once, in order.
 * - A finished run: `run-done` with the run as `GET /api/runs/{id}` shows it, then the end. Asked again with a
 *   Last-Event-ID at or past the end: 204, which tells EventSource to stop reconnecting.
 * - A run of another process (the CLI, a cron job): its events are not here, so the stored progress is sent as
 *   `snapshot` events every `pollMs` until it ends.
 */

const PAGE_FLUSH_MS = 250;

export function lastEventId(request: FastifyRequest<{ Querystring: { last_event_id?: string } }>): number {
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' && header.trim() !== '' ? header.trim() : request.query.last_event_id;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw))
    throw new HttpProblem(
      400,
      'invalid_request',
      `Last-Event-ID must be a sequence number (got "${raw.slice(0, 40)}").`,
      'Send the id of the last event received, or none to start from the beginning.',
    );
  return Number(raw);
}

export async function streamRunEvents(
  deps: ServerDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  runId: string,
  after: number,
): Promise<void> {
  const tracked = deps.runs.get(runId);
  const run = tracked ? null : await deps.runtime.store.runs.findById(runId);
  if (tracked) {
    const events = tracked.handle.events;
    if (events.done && events.history(after).length === 0) return void reply.code(204).send();
    return feedLive(deps, request, reply, events, after);
  }
  if (run!.status !== 'running') {
    if (after >= 1) return void reply.code(204).send();
    const sse = open(deps, request, reply);
    sse.send({ id: 1, event: 'run-done', data: await doneFromStore(deps, run!) });
    sse.close();
    return;
  }
  return feedFromStore(deps, request, reply, run!);
}

function open(deps: ServerDeps, request: FastifyRequest, reply: FastifyReply): SseStream {
  return new SseStream(request, reply, { heartbeatMs: deps.sse.heartbeatMs }, deps.eventStreams);
}

function feedLive(
  deps: ServerDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  events: { history(after?: number): RunEvent[]; subscribe(l: (e: RunEvent) => void): () => void },
  after: number,
): void {
  const sse = open(deps, request, reply);
  let lastSent = after;
  const pending = new Map<string, RunEvent>();
  let timer: NodeJS.Timeout | undefined;
  const write = (e: RunEvent) => {
    if (e.seq <= lastSent || sse.closed) return;
    lastSent = e.seq;
    sse.send({ id: e.seq, event: e.type, data: e.type === 'page' ? e : serverAdvice(e) });
    if (e.type === 'run-done') sse.close();
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = [...pending.values()].sort((a, b) => a.seq - b.seq);
    pending.clear();
    for (const e of due) write(e);
  };
  const deliver = (e: RunEvent) => {
    if (e.type === 'page' || e.type === 'backfill') {
      pending.set(`${e.type}\u0000${e.stream}\u0000${e.partition}`, e);
      timer ??= setTimeout(flush, PAGE_FLUSH_MS);
      return;
    }
    // Pages held back are older than this event: they go first, so the order is kept.
    flush();
    write(e);
  };
  // Subscribe before reading the history, so nothing emitted in between is lost (duplicates are dropped by seq).
  const buffered: RunEvent[] = [];
  let replaying = true;
  const off = events.subscribe((e) => (replaying ? buffered.push(e) : deliver(e)));
  sse.onClose(() => {
    off();
    if (timer) clearTimeout(timer);
  });
  for (const e of events.history(after)) write(e);
  replaying = false;
  for (const e of buffered) deliver(e);
}

async function doneFromStore(deps: ServerDeps, run: Run) {
  const view = await runView(deps, run);
  return {
    type: 'run-done',
    runId: run.id,
    seq: 1,
    at: run.finished_at ?? new Date(deps.now()).toISOString(),
    status: run.status,
    error: run.error ? withServerAdvice(run.error) : null,
    summary: view,
  };
}

function feedFromStore(deps: ServerDeps, request: FastifyRequest, reply: FastifyReply, run: Run): void {
  const sse = open(deps, request, reply);
  let seq = 0;
  let busy = false;
  const tick = async () => {
    if (busy || sse.closed) return;
    busy = true;
    try {
      const now = await deps.runtime.store.runs.get(run.id);
      if (!now || sse.closed) return;
      if (now.status !== 'running') {
        sse.send({ id: ++seq, event: 'run-done', data: { ...(await doneFromStore(deps, now)), seq } });
        sse.close();
        return;
      }
      sse.send({
        id: ++seq,
        event: 'snapshot',
        data: {
          type: 'snapshot',
          runId: run.id,
          seq,
          at: new Date(deps.now()).toISOString(),
          run: await runView(deps, now),
        },
      });
    } catch (err) {
      deps.logger.warn({ err, run_id: run.id }, 'run snapshot failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.sse.pollMs);
  sse.onClose(() => clearInterval(timer));
  void tick();
}
