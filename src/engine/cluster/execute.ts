import type { Organization } from '../../bugsnag/models/organization.js';
import type { Project } from '../../bugsnag/models/project.js';
import { recordStoredRun } from '../lineage.js';
import { normalizeHost } from '../../bugsnag/hosts.js';
import { SnagError, toSnagError } from '../../core/errors.js';
import { openDestination } from '../../destinations/index.js';
import type { Destination } from '../../destinations/types.js';
import { sharedRateLimiter, type RateLimitBudget, type RateLimiter } from '../../http/rate-limiter.js';
import type { EnqueueJob, JobQueue, TakenJob } from '../../queue/port.js';
import type { Runtime } from '../../runtime.js';
import type { Credential, Source } from '../../store/models.js';
import { descriptorOf, getStream } from '../../streams/catalog.js';
import type { Partition, StreamDefinition } from '../../streams/types.js';
import { clientOptionsFromEnv, engineClient, type EngineClientOptions } from '../client.js';
import { selectStreams } from '../config.js';
import { RunEvents, type RunWarning } from '../events.js';
import { cancelledError, errorJson, explainAuthFailure } from '../failures.js';
import {
  childrenOf,
  chooseOrganizations,
  chooseProjects,
  GLOBAL,
  missingProjects,
  orgPartition,
  planningStream,
  projectPartition,
  streamsFor,
} from '../planner.js';
import { runJob, type Job, type JobResult, type RunContext } from '../runner.js';
import { resolveSyncOptions } from '../source-config.js';
import { partitionOf, RunJob, toJson, unitKey, type PlanJob, type UnitJob, type UnitResult } from './data.js';
import { finishQueuedRun } from './finish.js';
import { continuingStore } from './rows.js';

export interface UnitExecutionOptions {
  /**
   * A unit stops after this long (after the page in flight) and enqueues the rest of its read, resuming from its
   * checkpoint: pg-boss 10 has no heartbeat, so every job must end within its lease. Default: half the lease.
   */
  sliceMs?: number;
  /**
   * A wait at least this long — a rate limit's (Retry-After, empty budget) or a pause between polls of an event data
   * request Bugsnag is preparing — delays the unit instead. Default 2 s.
   */
  delayOverMs?: number;
  /** How often the unit proves the run alive and looks for its cancellation. Default 2 s. */
  heartbeatMs?: number;
  /** Default: from the environment (SNAGSYNC_RATE_WINDOW_MS…). */
  client?: EngineClientOptions;
  /** The worker is stopping: the unit yields now (its rest is enqueued at once). */
  signal?: AbortSignal;
}

export type JobOutcome = { kind: 'done' } | { kind: 'delayed'; until: Date };

/**
 * Executes one job of a run on this process: the thin layer between the queue and the engine's runner. The runner
 * does the reading and writing exactly as in a local run (same checkpoints, page by page); around it this adds what
 * a cluster needs — the token's budget handed from unit to unit through the lane, a yield (delay) instead of a long
 * wait, the run's cancellation from any process, and the run's end once its last unit settles.
 */
export async function executeJob(
  runtime: Runtime,
  queue: JobQueue,
  taken: TakenJob,
  options: UnitExecutionOptions = {},
): Promise<JobOutcome> {
  const parsed = RunJob.safeParse(taken.data);
  if (!parsed.success) throw new SnagError('internal', `A queued job is not a snagsync job: ${parsed.error.message}`);
  const job = parsed.data;
  const store = runtime.store;
  const run = await store.runs.get(job.run);
  if (run?.status !== 'running' || (await queue.isCancelled(job.run))) {
    await settle(runtime, queue, job, { outcome: 'cancelled' });
    return { kind: 'done' };
  }
  const source = await store.sources.get(job.source);
  if (!source?.credential_id) {
    await settle(runtime, queue, job, {
      outcome: 'failed',
      fatal: true,
      error: errorJson(new SnagError('config', 'The source or its credential was removed while the run was queued.')),
    });
    return { kind: 'done' };
  }
  const credential = await store.credentials.findByNameOrId(source.credential_id);
  const token = await runtime.vault.unseal(credential);
  const clientOptions = options.client ?? clientOptionsFromEnv(runtime.env);
  const sliceMs = options.sliceMs ?? Math.max(1000, queue.leaseMs / 2);
  const delayOverMs = options.delayOverMs ?? 2000;

  const controller = new AbortController();
  let pause: number | null = null;
  let cancelled = false;
  // A unit yields at the end of its slice, on a long rate-limit wait, or when the worker stops; the plan (not cut
  // into slices: it is short) only on the last two, and then starts over later (its reads resume from checkpoints).
  const yieldAt = (until: number, slice = false) => {
    if (controller.signal.aborted || (slice && job.kind === 'plan')) return;
    pause = until;
    controller.abort(new SnagError('aborted', 'The unit yields its worker slot and goes on later.'));
  };
  const cancel = () => {
    if (controller.signal.aborted) return;
    cancelled = true;
    controller.abort(cancelledError());
  };
  const outer = options.signal;
  const onOuter = () => yieldAt(Date.now());
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  // A slice yields once its time is up and it has committed a page since it began (so every slice moves on).
  let due = false;
  let pages = 0;
  const slice = setTimeout(() => {
    due = true;
    if (pages > 0) yieldAt(Date.now(), true);
  }, sliceMs);
  const beat = setInterval(() => {
    void Promise.all([store.runs.heartbeat(job.run), queue.isCancelled(job.run)]).then(
      ([alive, gone]) => {
        if (!alive || gone) cancel();
      },
      () => undefined,
    );
  }, options.heartbeatMs ?? 2000);
  beat.unref();

  let limiter: RateLimiter | undefined;
  let dest: Destination | undefined;
  const warnings: RunWarning[] = [];
  try {
    const now = new Date(job.now);
    const rcStore = await continuingStore(store, job.run, () => pause !== null);
    const sync = resolveSyncOptions(source.config, now);
    const events = new RunEvents(job.run);
    events.subscribe((e) => {
      if (e.type === 'page') {
        pages++;
        if (due) yieldAt(Date.now(), true);
      }
      if (e.type === 'warning' && job.kind === 'plan')
        warnings.push({ stream: e.stream, partition: e.partition, code: e.code, message: e.message });
    });
    dest = await openDestination(source.destination, { home: runtime.home });
    const rc: RunContext = {
      runId: job.run,
      sourceId: source.id,
      dest,
      store: rcStore,
      events,
      signal: controller.signal,
      options: sync,
      fullRefresh: job.full_refresh,
      now,
      rows: [],
      warnings,
      saveEveryMs: 0,
      carryCounts: true,
      // An export Bugsnag is preparing: the unit yields its slot and its token's lane (other projects' units go on,
      // their exports prepare meanwhile) and polls again once the pause is over, from the request in its checkpoint.
      onWait: (ms) => {
        if (ms >= delayOverMs) yieldAt(Date.now() + ms);
      },
      newClient: () =>
        engineClient(
          token,
          credential.host,
          clientOptions,
          (e) => {
            if (e.type === 'rate-limit-wait' && e.ms >= delayOverMs) yieldAt(Date.now() + e.ms);
          },
          controller.signal,
        ),
    };
    // The token's budget as its previous unit (on whichever worker) left it: the lane runs one unit at a time, so
    // what the last one learned is the freshest word, and adopting it spares a burst of relearning.
    const budget = (await queue.laneState(job.lane)) as RateLimitBudget | null;
    limiter = sharedRateLimiter(token, normalizeHost(credential.host).origin);
    if (budget) limiter.adopt(budget);
    const answered = () => rc.rows.some((r) => r.stats().requests > 0 && r.outcome === 'ok');

    if (job.kind === 'plan') {
      await dest.prepare(selectStreams(source.config, job.streams ?? undefined).map((n) => descriptorOf(getStream(n))));
      // Lineage: the run's row in the destination's _snagsync_runs, as the local path writes it when a run starts.
      await recordStoredRun(runtime, job.run, dest);
      const planned = await plan(runtime, queue, job, source, credential, rc, warnings, answered, () => pause !== null);
      return planned === 'paused' && pause !== null ? { kind: 'delayed', until: new Date(pause) } : { kind: 'done' };
    }
    const stream = getStream(job.stream);
    const children = job.children.map((n) => getStream(n));
    await dest.prepare([stream, ...children].map((s) => descriptorOf(s)));
    const result = await runJob(rc, { stream, partition: partitionOf(job), children, write: true });
    if (result.outcome === 'failed' && pause !== null && !cancelled) return { kind: 'delayed', until: new Date(pause) };
    await settle(runtime, queue, job, unitResult(result, credential, cancelled, answered()));
    return { kind: 'done' };
  } catch (err) {
    if (pause !== null && !cancelled) return { kind: 'delayed', until: new Date(pause) };
    // A unit that cannot even start (its destination unreachable…) fails here, once: a job left to pg-boss's
    // retries would end `failed` in the queue with its run never ended. Only a failure to settle is retried.
    await settle(runtime, queue, job, {
      outcome: 'failed',
      fatal: job.kind === 'plan',
      error: errorJson(explainAuthFailure(toSnagError(err), credential)),
    });
    return { kind: 'done' };
  } finally {
    clearTimeout(slice);
    clearInterval(beat);
    outer?.removeEventListener('abort', onOuter);
    if (limiter) await queue.setLaneState(job.lane, limiter.budget() as never).catch(() => undefined);
    await dest?.close().catch(() => undefined);
  }
}

function unitResult(r: JobResult, credential: Credential, cancelled: boolean, answered: boolean): UnitResult {
  if (cancelled) return { outcome: 'cancelled', answered };
  if (r.outcome !== 'failed' || !r.error) return { outcome: r.outcome, answered };
  return { outcome: 'failed', fatal: r.fatal, error: errorJson(explainAuthFailure(r.error, credential)), answered };
}

/** Settles the job in its run's group; the job that settles the last one ends the run. */
async function settle(runtime: Runtime, queue: JobQueue, job: RunJob, result: UnitResult, grow = 0): Promise<void> {
  if (result.fatal) await queue.cancelGroup(job.run);
  const s = await queue.settle(job.run, unitKey(job), toJson(result), grow);
  if (s.complete) await finishQueuedRun(runtime, queue, job.run);
}

/**
 * A run's first job, as `plan()` in run.ts does it in one process: organizations (always listed), the account's
 * streams, then per organization its projects (always listed) and its streams — small reads, done here — and one
 * unit per chosen project and project stream, enqueued on the token's lane.
 */
async function plan(
  runtime: Runtime,
  queue: JobQueue,
  job: PlanJob,
  source: Source,
  credential: Credential,
  rc: RunContext,
  warnings: RunWarning[],
  answered: () => boolean,
  paused: () => boolean,
): Promise<'done' | 'paused'> {
  const selected = selectStreams(source.config, job.streams ?? undefined);
  if (job.full_refresh) await rc.dest.resetCheckpoints(source.id, selected);
  const fatal = async (r: JobResult | { error: SnagError }) => {
    const err = explainAuthFailure(r.error ?? new SnagError('internal', 'The plan failed.'), credential);
    await settle(runtime, queue, job, {
      outcome: 'failed',
      fatal: true,
      error: errorJson(err),
      warnings,
      answered: answered(),
    });
  };
  const failures: UnitResult[] = [];
  const one = async (j: Job) => {
    const r = await runJob(rc, j);
    if (paused()) throw new SnagError('aborted', 'The plan yields and starts over later.');
    if (r.outcome === 'failed' && r.error) {
      if (r.fatal) throw r.error;
      failures.push({ outcome: 'failed', error: errorJson(explainAuthFailure(r.error, credential)) });
    }
    return r;
  };
  try {
    const orgs: Organization[] = [];
    const listed = await one({
      stream: planningStream('organizations'),
      partition: GLOBAL,
      children: [],
      write: selected.includes('organizations'),
      collect: (records) => orgs.push(...(records as Organization[])),
    });
    if (listed.outcome !== 'ok') {
      await fatal({ error: listed.error ?? new SnagError('internal', 'No organizations.') });
      return 'done';
    }
    const { chosen, missing } = chooseOrganizations(orgs, source.config);
    for (const id of missing)
      warnings.push({
        stream: 'organizations',
        partition: '',
        code: 'organization-not-found',
        message: `The source names organization ${id}, which the token does not reach; it is left out.`,
      });
    for (const s of streamsFor('global', selected)) {
      if (s.name !== 'organizations') await one({ stream: s, partition: GLOBAL, children: [], write: true });
    }
    const parts: Partition[] = [];
    const found: Project[] = [];
    for (const org of chosen) {
      const all: Project[] = [];
      const r = await one({
        stream: planningStream('projects'),
        partition: orgPartition(org, []),
        children: [],
        write: selected.includes('projects'),
        collect: (records) => all.push(...(records as Project[])),
      });
      if (r.outcome !== 'ok') continue;
      found.push(...all);
      for (const s of streamsFor('organization', selected)) {
        if (s.name !== 'projects')
          await one({ stream: s, partition: orgPartition(org, all), children: [], write: true });
      }
      for (const p of chooseProjects(all, source.config)) parts.push(projectPartition(org, p));
    }
    for (const id of missingProjects(found, source.config))
      warnings.push({
        stream: 'projects',
        partition: '',
        code: 'project-not-found',
        message: `The source names project ${id}, which is not among the projects the token sees; it is left out.`,
      });
    const units: EnqueueJob[] = [];
    const projectStreams: StreamDefinition[] = streamsFor('project', selected);
    // Stream by stream across projects: the first stream of every project is read before the second of any.
    for (const s of projectStreams)
      for (const partition of parts) {
        const unit: UnitJob = {
          v: 1,
          kind: 'unit',
          run: job.run,
          source: job.source,
          lane: job.lane,
          full_refresh: job.full_refresh,
          now: job.now,
          stream: s.name,
          children: childrenOf(s, selected).map((c) => c.name),
          partition: JSON.parse(JSON.stringify(partition)) as UnitJob['partition'],
        };
        units.push({ lane: job.lane, data: toJson(unit), group: job.run });
      }
    await queue.enqueue(units);
    const failed = failures[0];
    await settle(
      runtime,
      queue,
      job,
      {
        ...(failed ?? { outcome: 'ok' }),
        warnings,
        answered: answered(),
        plan: { organizations: chosen.length, projects: parts.length },
      },
      units.length,
    );
    return 'done';
  } catch (err) {
    if (paused()) return 'paused';
    await fatal({ error: toSnagError(err) });
    return 'done';
  }
}
