import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SinkRunRecord } from '../../store/index.js';
import { SseStream } from '../sse.js';
import type { ServerDeps } from '../types.js';
import type { SinkRunEvent } from './registry.js';

/**
 * A write-back run's progress as server-sent events, like a sync's (runs/event-feed.ts): `id: <seq>`,
 * `event: <type>`, `data: <JSON>` with `run-start`, `progress` (done, total) and `run-done` (status, totals, writes,
 * error). A run of this process: its history after Last-Event-ID, then live, closing after `run-done`. A finished run:
 * `run-done` from the store, then the end (204 when asked again past it). A run of another process: `run-done` once the
 * store shows it ended, polled every `pollMs`.
 */
export async function streamSinkRunEvents(
  deps: ServerDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  run: SinkRunRecord,
  after: number,
): Promise<void> {
  const live = deps.sinkRuns.get(run.id);
  if (live) {
    if (live.events.done && live.events.history(after).length === 0) return void reply.code(204).send();
    const sse = open(deps, request, reply);
    let last = after;
    const write = (e: SinkRunEvent) => {
      if (e.seq <= last || sse.closed) return;
      last = e.seq;
      sse.send({ id: e.seq, event: e.type, data: e });
      if (e.type === 'run-done') sse.close();
    };
    // Subscribe first, then replay: nothing emitted in between is lost (duplicates are dropped by seq).
    const buffered: SinkRunEvent[] = [];
    let replaying = true;
    const off = live.events.subscribe((e) => (replaying ? buffered.push(e) : write(e)));
    sse.onClose(off);
    for (const e of live.events.history(after)) write(e);
    replaying = false;
    for (const e of buffered) write(e);
    return;
  }
  if (run.status !== 'running' && after >= 1) return void reply.code(204).send();
  const sse = open(deps, request, reply);
  let busy = false;
  const tick = async () => {
    if (busy || sse.closed) return;
    busy = true;
    try {
      const now = await deps.runtime.store.sinks.getRun(run.id);
      if (!now || now.status === 'running' || sse.closed) return;
      const report = now.report as { totals?: unknown; writes?: unknown } | null;
      sse.send({
        id: 1,
        event: 'run-done',
        data: {
          type: 'run-done',
          runId: now.id,
          seq: 1,
          at: now.finished_at,
          status: now.status,
          totals: report?.totals ?? null,
          writes: report?.writes ?? null,
          error: now.error,
        },
      });
      sse.close();
    } catch (err) {
      deps.logger.warn({ err, run_id: run.id }, 'write-back run poll failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.sse.pollMs);
  sse.onClose(() => clearInterval(timer));
  await tick();
}

function open(deps: ServerDeps, request: FastifyRequest, reply: FastifyReply): SseStream {
  return new SseStream(request, reply, { heartbeatMs: deps.sse.heartbeatMs }, deps.eventStreams);
}
