import { isSnagError, toSnagError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import { toIso } from '../core/time.js';
import type { Runtime } from '../runtime.js';
import type { EngineClientOptions } from './client.js';
import type { ErrorJson, FinalStatus } from './events.js';
import type { RunExecutor } from './executor.js';
import { errorJson } from './failures.js';
import { Pollers } from './poller/pollers.js';
import type { PollerOptions } from './poller/poller.js';
import { startRun, type RunHandle } from './run.js';
import { nextRunAfter } from './schedule.js';

/**
 * Runs scheduled sources when they are due. `runDue` is one sweep (what `snagsync schedule run-due` does, e.g. from
 * cron); `startScheduler` loops (`snagsync schedule daemon`, and the web server embeds it). Due sources run one
 * after the other: they usually share a token, and its rate limit is the bottleneck anyway.
 */
export interface DueResult {
  source_id: string;
  source_name: string;
  run_id: string | null;
  status: FinalStatus | 'not-started';
  error: ErrorJson | null;
}

export interface RunDueOptions {
  now?: Date;
  signal?: AbortSignal;
  client?: EngineClientOptions;
  /** Called as each run starts (to show or forward its progress). */
  onStart?: (handle: RunHandle) => void;
  /**
   * Where the runs execute: `snagsync serve` gives a child process each, a cluster an executor that enqueues
   * (`queuedExecutor`). Default: `startRun` in this process, with `client`.
   */
  executor?: RunExecutor;
  /**
   * Called before a due source's run starts; what it returns is called once the run has ended (or did not start).
   * The scheduler stands a continuous source's poller aside this way while its full sync runs.
   */
  hold?: (sourceId: string) => Promise<() => void>;
}

export async function runDue(runtime: Runtime, options: RunDueOptions = {}): Promise<DueResult[]> {
  const { store } = runtime;
  // Runs left `running` by a killed process would block their source forever.
  await store.runs.failStale();
  const now = options.now ?? new Date();
  const due = await store.sources.listDue(now);
  const results: DueResult[] = [];
  const waiting: Array<Promise<void>> = [];
  for (const source of due) {
    if (options.signal?.aborted) break;
    // Several schedulers (processes sharing a PostgreSQL store) may list the same due source: the one that moves its
    // next_run_at on from the value listed takes the slot; the others leave it.
    const next = source.schedule ? toIso(nextRunAfter(source.schedule, now)) : null;
    if (source.next_run_at && !(await store.sources.claimDue(source.id, source.next_run_at, next))) continue;
    const named = { source_id: source.id, source_name: source.name };
    const release = (await options.hold?.(source.id)) ?? (() => undefined);
    try {
      const handle = options.executor
        ? await options.executor.start(runtime, source.id, { trigger: 'schedule' })
        : await startRun(runtime, source.id, {
            trigger: 'schedule',
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.client ? { client: options.client } : {}),
          });
      const stop = () => handle.cancel('The scheduler stopped.');
      if (options.executor) options.signal?.addEventListener('abort', stop, { once: true });
      options.onStart?.(handle);
      const ended = handle.done
        .finally(() => {
          options.signal?.removeEventListener('abort', stop);
          release();
        })
        .then((summary) => {
          results.push({ ...named, run_id: summary.run_id, status: summary.status, error: summary.error });
        });
      // One after the other in this process; side by side when workers execute them (a cluster's executor).
      if (options.executor?.sideBySide) waiting.push(ended);
      else await ended;
    } catch (err) {
      const e = toSnagError(err);
      release();
      results.push({ ...named, run_id: null, status: 'not-started', error: errorJson(e) });
      // Not started (already running, no credential…): try again one interval later rather than on every sweep.
      if (!isSnagError(e, 'conflict') && source.schedule) {
        await store.sources
          .update(source.id, { next_run_at: nextRunAfter(source.schedule, new Date()) })
          .catch(() => undefined);
      }
    }
  }
  await Promise.all(waiting);
  return results;
}

export interface SchedulerOptions extends Omit<RunDueOptions, 'now'> {
  /** Longest sleep between sweeps (default 30 s); the loop wakes earlier when a source falls due. */
  tickMs?: number;
  onResults?: (results: DueResult[]) => void;
  onError?: (err: unknown) => void;
  /** For the pollers of continuous sources (default: the client options above, from the environment otherwise). */
  poller?: PollerOptions;
}

export interface SchedulerHandle {
  stop(): void;
  /** Settles after `stop()` (or the signal) once the sweep in progress has ended. */
  done: Promise<void>;
}

export function startScheduler(runtime: Runtime, options: SchedulerOptions = {}): SchedulerHandle {
  const controller = new AbortController();
  const outer = options.signal;
  const stop = () => controller.abort();
  if (outer?.aborted) stop();
  else outer?.addEventListener('abort', stop, { once: true });
  const tickMs = options.tickMs ?? 30_000;
  // Continuous sources: a poller each, between their full syncs (poller/), noticed at every sweep.
  const pollers = new Pollers(runtime, {
    ...(options.client ? { client: options.client } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...options.poller,
  });
  const loop = async () => {
    while (!controller.signal.aborted) {
      try {
        await pollers.reconcile();
        const results = await runDue(runtime, {
          ...options,
          signal: controller.signal,
          hold: (id) => pollers.hold(id),
        });
        if (results.length) options.onResults?.(results);
      } catch (err) {
        options.onError?.(err);
      }
      if (controller.signal.aborted) break;
      const wait = await untilNextDue(runtime, tickMs);
      await sleep(wait, controller.signal).catch(() => undefined);
    }
    await pollers.stopAll();
    outer?.removeEventListener('abort', stop);
  };
  return { stop, done: loop() };
}

async function untilNextDue(runtime: Runtime, tickMs: number): Promise<number> {
  const sources = await runtime.store.sources.list({ status: 'active' }).catch(() => []);
  let next = Infinity;
  for (const s of sources) if (s.schedule && s.next_run_at) next = Math.min(next, Date.parse(s.next_run_at));
  return Math.max(250, Math.min(tickMs, next - Date.now()));
}
