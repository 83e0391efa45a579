import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SnagError, toSnagError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { sleep } from '../../core/sleep.js';
import type { JobQueue, TakenJob } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import { RunJob, unitKey } from './data.js';
import { executeJob, type UnitExecutionOptions } from './execute.js';

export interface WorkerOptions {
  /** Units executed at once by this process. Default 2. */
  concurrency?: number;
  /** How often an idle slot asks the queue for work. Default 500 ms (pg-boss's shortest polling interval). */
  pollMs?: number;
  /** Consecutive failures to reach the queue after which the worker stops. Default 3. */
  maxQueueErrors?: number;
  unit?: UnitExecutionOptions;
  onEvent?: (event: WorkerEvent) => void;
  /**
   * How long the queue keeps a completed run's unit results (what its follower reads at the end). The worker forgets
   * older ones when it starts and every hour after. Default one day.
   */
  keepResultsMs?: number;
  /** How often the worker tells the queue it is alive. Default WORKER_BEAT_MS. */
  beatMs?: number;
}

/**
 * A worker beats this often, and counts as alive while its last beat is at most WORKER_ALIVE_MS old: so a follower
 * (`snagsync sync`) can say within seconds that no worker is there to take its run. Three beats may be lost (a busy
 * event loop, a slow database) before a live worker looks gone; a killed one looks gone 15 s after its last beat.
 */
export const WORKER_BEAT_MS = 5000;
export const WORKER_ALIVE_MS = 3 * WORKER_BEAT_MS;

/** Default of `keepResultsMs`; the run history in the store keeps everything a finished run shows. */
export const KEEP_RESULTS_MS = 86_400_000;
const PURGE_EVERY_MS = 3_600_000;

export type WorkerEvent =
  | { type: 'unit-start'; run: string; unit: string; retries: number }
  | {
      type: 'unit-end';
      run: string;
      unit: string;
      outcome: 'done' | 'delayed' | 'failed';
      until?: string;
      error?: string;
    }
  | { type: 'queue-error'; error: string }
  | { type: 'results-purged'; runs: number };

export interface WorkerStop {
  reason: 'stopped' | 'connection-lost';
  error?: SnagError;
}

export interface WorkerHandle {
  /** Stops taking work; units in flight yield (their rest is enqueued) and `done` settles. */
  stop(): Promise<WorkerStop>;
  done: Promise<WorkerStop>;
}

/**
 * `concurrency` slots, each taking a job from the queue, executing it and completing, delaying or failing it. A
 * worker that cannot reach the queue's database (a few times in a row) stops taking work and says why; the units it
 * held are taken again by other workers when their leases run out.
 */
export function startWorker(runtime: Runtime, queue: JobQueue, options: WorkerOptions = {}): WorkerHandle {
  const stopping = new AbortController();
  const pollMs = options.pollMs ?? 500;
  const maxErrors = options.maxQueueErrors ?? 3;
  const emit = (e: WorkerEvent) => options.onEvent?.(e);
  let errors = 0;
  let lost: SnagError | undefined;

  const describe = (job: TakenJob) => {
    const p = RunJob.safeParse(job.data);
    return p.success ? { run: p.data.run, unit: unitKey(p.data) } : { run: '?', unit: job.id };
  };

  const slot = async () => {
    while (!stopping.signal.aborted) {
      let job: TakenJob | null;
      try {
        job = await queue.take();
        errors = 0;
      } catch (err) {
        errors++;
        emit({ type: 'queue-error', error: redact((err as Error).message) });
        if (errors >= maxErrors && !lost) {
          lost = new SnagError(
            'network',
            `The worker lost its connection to the queue's database (${(err as Error).message}) and stopped taking work.`,
            {
              hint: 'Units it held are taken again by the other workers once their lease runs out. Check that PostgreSQL is reachable, then start the worker again.',
            },
          );
          stopping.abort();
        }
        await sleep(pollMs, stopping.signal).catch(() => undefined);
        continue;
      }
      if (!job) {
        await sleep(pollMs, stopping.signal).catch(() => undefined);
        continue;
      }
      const d = describe(job);
      emit({ type: 'unit-start', ...d, retries: job.retries });
      try {
        const out = await executeJob(runtime, queue, job, { ...options.unit, signal: stopping.signal });
        if (out.kind === 'delayed') {
          await queue.delay(job, out.until);
          emit({ type: 'unit-end', ...d, outcome: 'delayed', until: out.until.toISOString() });
        } else {
          await queue.complete(job);
          emit({ type: 'unit-end', ...d, outcome: 'done' });
        }
      } catch (err) {
        const e = toSnagError(err);
        emit({ type: 'unit-end', ...d, outcome: 'failed', error: e.message });
        await queue.fail(job, e).catch(() => undefined);
      }
    }
  };

  const keep = options.keepResultsMs ?? KEEP_RESULTS_MS;
  const purge = () =>
    void queue.purgeGroups(new Date(Date.now() - keep)).then(
      (runs) => {
        if (runs > 0) emit({ type: 'results-purged', runs });
      },
      () => undefined, // the next time; a lost connection shows in the slots' own errors
    );
  purge();
  const purging = setInterval(purge, PURGE_EVERY_MS);
  purging.unref();
  stopping.signal.addEventListener('abort', () => clearInterval(purging), { once: true });

  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2));
  const me = { id: randomUUID(), host: hostname(), pid: process.pid, slots: concurrency };
  // A lost beat is not fatal: the slots' own queries find a lost connection and stop the worker.
  let lastBeat: Promise<void> = Promise.resolve();
  const beat = () => {
    lastBeat = queue.beat(me).catch(() => undefined);
  };
  beat();
  const beating = setInterval(beat, options.beatMs ?? WORKER_BEAT_MS);
  beating.unref();
  stopping.signal.addEventListener('abort', () => clearInterval(beating), { once: true });

  const done = Promise.all(Array.from({ length: concurrency }, slot)).then(async (): Promise<WorkerStop> => {
    // After the last beat has landed, or that beat would register the worker again.
    await lastBeat;
    await queue.leave(me.id).catch(() => undefined);
    return lost ? { reason: 'connection-lost', error: lost } : { reason: 'stopped' };
  });
  return {
    done,
    stop: async () => {
      stopping.abort();
      return done;
    },
  };
}
