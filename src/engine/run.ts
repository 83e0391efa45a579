import type { Organization } from '../bugsnag/models/organization.js';
import type { Project } from '../bugsnag/models/project.js';
import { SnagError, toSnagError } from '../core/errors.js';
import { recordTokenAccepted, recordTokenRejected } from '../credentials/service.js';
import { displayDestinationUrl, openDestination } from '../destinations/index.js';
import type { Destination } from '../destinations/types.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../http/rate-limiter.js';
import { shareBudget } from './budget-share.js';
import type { Runtime } from '../runtime.js';
import type { Credential, RunError, RunTrigger, Source } from '../store/models.js';
import { descriptorOf, getStream } from '../streams/catalog.js';
import type { Partition } from '../streams/types.js';
import { clientOptionsFromEnv, engineClient, type EngineClientOptions } from './client.js';
import { configError, selectStreams } from './config.js';
import { resolveSyncOptions } from './source-config.js';
import { RunEvents, type FinalStatus, type RunSummary, type RunWarning } from './events.js';
import { cancelledError, errorJson, explainAuthFailure, isTokenRejected } from './failures.js';
import { streamSummaries, totalsOf, type StreamRow } from './history.js';
import {
  chooseOrganizations,
  chooseProjects,
  childrenOf,
  GLOBAL,
  missingProjects,
  orgPartition,
  planningStream,
  pool,
  projectPartition,
  streamsFor,
} from './planner.js';
import { goneMessage, goneProjects } from './gone.js';
import { recordRunEnd, recordRunStart, type RunLineage } from './lineage.js';
import { modelsAfterRun } from './models.js';
import { runJob, type Job, type JobResult, type RunContext } from './runner.js';
import { nextRunAfter } from './schedule.js';
import { createRunBesidePoller } from './poller/poller.js';
import { notifyRunEnded } from './notify/run.js';

export interface StartRunOptions {
  /** Forget the checkpoints of the selected streams first: every stream reads its whole history again (upserted). */
  fullRefresh?: boolean;
  /** Only these streams (their parents are added: comments need errors). Default: the source's streams. */
  streams?: readonly string[];
  trigger?: RunTrigger;
  /** Cancels the run: the page in flight is abandoned, everything committed stays, the run ends `cancelled`. */
  signal?: AbortSignal;
  /** Default: from the environment (SNAGSYNC_RATE_WINDOW_MS…), see client.ts. */
  client?: EngineClientOptions;
  /** Projects read at once (default: the source's `concurrency`, else 1); never above the token's in-flight cap. */
  concurrency?: number;
  /** How often the run proves it is alive (default 5 s). */
  heartbeatMs?: number;
  /** The run's notion of "now" (pass upper bounds, due full passes). Default: the clock. For tests. */
  now?: Date;
  /**
   * Write into this destination instead of opening the source's (the Airbyte and Singer modes write protocol
   * messages to stdout). The run closes it when it ends, as it would its own.
   */
  destination?: Destination;
}

export interface RunHandle {
  runId: string;
  sourceId: string;
  sourceName: string;
  /** Progress events (subscribe, history, or `for await`). */
  events: RunEvents;
  /** Settles when the run has ended and is recorded; never rejects (a failed run is a summary with an error). */
  done: Promise<RunSummary>;
  cancel(reason?: string): void;
  /**
   * Stops following a run that executes elsewhere (a queued run on the workers); the run goes on there. `done` then
   * settles with the run as it stood. Absent where the run executes in this process or its child.
   */
  detach?(): void;
}

/**
 * Starts a sync of a source now. Resolves once the run exists (its id is known and it shows in `runs list`); the
 * work goes on in the background until `done` settles. Rejects only when the run cannot start: unknown source,
 * one already running, no credential, a vault or config problem.
 */
export async function startRun(runtime: Runtime, sourceRef: string, options: StartRunOptions = {}): Promise<RunHandle> {
  const { store } = runtime;
  const source = await store.sources.findByNameOrId(sourceRef);
  assertRunnable(source);
  const credential = await store.credentials.findByNameOrId(source.credential_id);
  const now = options.now ?? new Date();
  const selected = selectStreams(source.config, options.streams);
  const sync = resolveSyncOptions(source.config, now);
  const clientOptions = options.client ?? clientOptionsFromEnv(runtime.env);
  const token = await runtime.vault.unseal(credential);
  const fullRefresh = options.fullRefresh === true;
  // A continuous source's poller stands aside for it (poller.ts), as it does for the scheduled sync.
  const run = await createRunBesidePoller(store, {
    source_id: source.id,
    trigger: options.trigger ?? 'cli',
    options: { full_refresh: fullRefresh, streams: options.streams?.length ? [...options.streams] : null },
  });
  const events = new RunEvents(run.id);
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(cancelledError());
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? sync.concurrency, clientOptions.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
  );
  const done = execute({
    runtime,
    source,
    credential,
    runId: run.id,
    trigger: options.trigger ?? 'cli',
    selected,
    sync,
    fullRefresh,
    now,
    liveClock: options.now === undefined,
    token,
    clientOptions,
    controller,
    events,
    concurrency,
    heartbeatMs: options.heartbeatMs ?? 5000,
    destination: options.destination,
  }).finally(() => {
    outer?.removeEventListener('abort', onOuterAbort);
    active.delete(run.id);
  });
  const handle: RunHandle = {
    runId: run.id,
    sourceId: source.id,
    sourceName: source.name,
    events,
    done,
    cancel: () => onOuterAbort(),
  };
  active.set(run.id, handle);
  return handle;
}

/** Refuses a source that cannot run: disabled, or without a credential (in this process or through the queue). */
export function assertRunnable(source: Source): asserts source is Source & { credential_id: string } {
  if (source.status === 'disabled') {
    throw configError(
      'status',
      `The source "${source.name}" is disabled${source.status_reason ? ` (${source.status_reason})` : ''}.`,
      `Give it a credential and activate it: \`snagsync sources update ${source.name} --credential NAME --status active\`.`,
      'Give it a credential and set its status to active (Edit on its page, or PUT /api/data_sources/{id}).',
    );
  }
  if (!source.credential_id) {
    throw configError(
      'credential',
      `The source "${source.name}" has no credential.`,
      `Give it one: \`snagsync sources update ${source.name} --credential NAME\`.`,
      'Give it one (Edit on its page, or PUT /api/data_sources/{id} with data_credentials_id).',
    );
  }
}

/** Runs in progress in this process, by id: what a server needs to stream a run's events or cancel it. */
const active = new Map<string, RunHandle>();

/** The handle of a run in progress in this process (undefined once it has ended: read `store.runs` then). */
export function activeRun(runId: string): RunHandle | undefined {
  return active.get(runId);
}

export function activeRuns(): RunHandle[] {
  return [...active.values()];
}

interface Execution {
  runtime: Runtime;
  source: Source;
  credential: Credential;
  runId: string;
  trigger: string;
  selected: string[];
  sync: ReturnType<typeof resolveSyncOptions>;
  fullRefresh: boolean;
  now: Date;
  /** `now` is the clock's at the start (no time was given): see RunContext.liveClock. */
  liveClock: boolean;
  token: string;
  clientOptions: EngineClientOptions;
  controller: AbortController;
  events: RunEvents;
  concurrency: number;
  heartbeatMs: number;
  destination: Destination | undefined;
}

async function execute(x: Execution): Promise<RunSummary> {
  const { runtime, source, runId, events, controller } = x;
  const store = runtime.store;
  const started = Date.now();
  const rows: StreamRow[] = [];
  const warnings: RunWarning[] = [];
  let fatal: SnagError | undefined;
  let firstFailure: SnagError | undefined;
  let dest: Destination | undefined;
  let lineage: RunLineage | undefined;

  events.emit({
    type: 'run-start',
    sourceId: source.id,
    sourceName: source.name,
    streams: x.selected,
    fullRefresh: x.fullRefresh,
    trigger: x.trigger,
    destination: displayDestinationUrl(source.destination),
  });
  const heartbeat = setInterval(() => {
    store.runs.heartbeat(runId, storeTotals(rows)).then(
      (alive) => {
        if (!alive)
          controller.abort(
            new SnagError(
              'aborted',
              'Another snagsync process judged this run stale and marked it failed; it stopped.',
            ),
          );
      },
      () => undefined,
    );
  }, x.heartbeatMs);
  heartbeat.unref();
  // What other processes of this home learned of the token's budget, and what this run learns, for the next.
  const budget = shareBudget(runtime.home, x.token, x.credential.host);

  const fail = (err: SnagError) => {
    fatal ??= err;
    firstFailure ??= err;
    if (!controller.signal.aborted) controller.abort(err);
  };

  try {
    dest = x.destination ?? (await openDestination(source.destination, { home: runtime.home }));
    await dest.prepare(x.selected.map((n) => descriptorOf(getStream(n))));
    const run: RunLineage = {
      runId,
      sourceId: source.id,
      sourceName: source.name,
      trigger: x.trigger,
      startedAt: new Date(started).toISOString(),
    };
    await recordRunStart(dest, run);
    lineage = run;
    if (x.fullRefresh) await dest.resetCheckpoints(source.id, x.selected);
    const rc: RunContext = {
      runId,
      sourceId: source.id,
      dest,
      store,
      events,
      signal: controller.signal,
      options: x.sync,
      fullRefresh: x.fullRefresh,
      now: x.now,
      liveClock: x.liveClock,
      rows,
      warnings,
      newClient: (stream, partition) =>
        engineClient(
          x.token,
          x.credential.host,
          x.clientOptions,
          (e) => {
            if (e.type === 'rate-limit-wait') {
              events.emit({
                type: 'rate-limit-wait',
                stream,
                partition,
                ms: Math.round(e.ms),
                reason: e.reason,
                ...(e.limit !== undefined ? { limit: e.limit } : {}),
                ...(e.remaining !== undefined ? { remaining: e.remaining } : {}),
              });
            } else if (e.type === 'retry') {
              events.emit({
                type: 'retry',
                stream,
                partition,
                attempt: e.attempt,
                waitMs: Math.round(e.waitMs),
                ...(e.status !== undefined ? { status: e.status } : {}),
                ...(e.error !== undefined ? { error: e.error } : {}),
              });
            }
          },
          controller.signal,
        ),
    };
    const runOne = async (job: Job): Promise<JobResult> => {
      const r = await runJob(rc, job);
      if (r.error && r.outcome === 'failed') {
        const e = explainAuthFailure(r.error, x.credential);
        if (r.fatal) fail(e);
        else firstFailure ??= e;
      }
      return r;
    };
    await plan(x, rc, runOne, () => controller.signal.aborted);
    if (controller.signal.aborted) fail(toSnagError(controller.signal.reason));
  } catch (err) {
    fail(explainAuthFailure(toSnagError(err), x.credential));
  } finally {
    clearInterval(heartbeat);
    budget.stop();
  }

  const status: FinalStatus = fatal
    ? fatal.code === 'aborted'
      ? 'cancelled'
      : 'failed'
    : rows.some((r) => r.outcome === 'failed')
      ? rows.some((r) => r.listed && r.outcome === 'ok')
        ? 'partial'
        : 'failed'
      : 'succeeded';
  const error =
    status === 'succeeded' ? null : errorJson(fatal ?? firstFailure ?? new SnagError('internal', 'The run failed.'));
  const totals = totalsOf(rows);
  const finishedAt = new Date();
  const summary: RunSummary = {
    run_id: runId,
    source_id: source.id,
    source_name: source.name,
    status,
    trigger: x.trigger,
    full_refresh: x.fullRefresh,
    destination: displayDestinationUrl(source.destination),
    started_at: new Date(started).toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - started,
    error,
    totals,
    streams: streamSummaries(rows),
    warnings,
  };
  if (dest && lineage) {
    const problem = await recordRunEnd(dest, lineage, {
      status,
      endedAt: summary.finished_at,
      error: error?.message ?? null,
    });
    if (problem) warnings.push({ stream: '', partition: '', code: 'lineage', message: problem });
  }
  // The analytics views, when the source asks for them: after the run's end is recorded, over committed data.
  const modelsProblem = await modelsAfterRun(runtime, source, status);
  if (modelsProblem) warnings.push({ stream: '', partition: '', code: 'models', message: modelsProblem });
  try {
    await store.runs.finish(runId, { status, error: error as RunError | null, totals: storeTotals(rows) });
    const fresh = await store.sources.get(source.id);
    if (fresh?.schedule)
      await store.sources.update(source.id, { next_run_at: nextRunAfter(fresh.schedule, finishedAt) });
  } catch (err) {
    summary.error ??= errorJson(err);
  }
  if (fatal && isTokenRejected(fatal)) {
    // The credentials list must not keep showing a token Bugsnag refuses as VERIFIED. Best effort: the run's own
    // error already says what to do, and the next `credentials test` records the same.
    await recordTokenRejected(store, x.credential, fatal).catch(() => undefined);
  } else if (rows.some((r) => r.outcome === 'ok')) {
    // Bugsnag answered with this token, so it works: a FAILED left by an earlier 401 (or UNVERIFIED) is now wrong.
    await recordTokenAccepted(store, x.credential, finishedAt).catch(() => undefined);
  }
  await dest?.close().catch(() => undefined);
  events.emit({ type: 'run-done', status, error: summary.error, summary });
  // After the run's record is final: a failure (or a recovery) told to Slack or Teams, never changing the outcome.
  await notifyRunEnded(runtime, runId);
  return summary;
}

function storeTotals(rows: readonly StreamRow[]) {
  const t = totalsOf(rows);
  return {
    records_read: t.records_read,
    records_written: t.records_written,
    requests: t.requests,
    rate_limit_wait_ms: t.rate_limit_wait_ms,
  };
}

/**
 * The order of a sync: organizations (always listed: they are how the rest is found), global streams, then per
 * organization its projects (always listed) and organization streams, then every chosen project's streams — the
 * projects `concurrency` at a time, each project's streams one after the other.
 */
async function plan(
  x: Execution,
  rc: RunContext,
  runOne: (job: Job) => Promise<JobResult>,
  stopped: () => boolean,
): Promise<void> {
  const { selected, source } = x;
  const config = source.config;
  const orgs: Organization[] = [];
  const orgRead = await runOne({
    stream: planningStream('organizations'),
    partition: GLOBAL,
    children: [],
    write: selected.includes('organizations'),
    collect: (records) => orgs.push(...(records as Organization[])),
  });
  if (orgRead.outcome !== 'ok') {
    throw orgRead.error ?? new SnagError('internal', 'The organizations could not be listed.');
  }
  const { chosen, missing } = chooseOrganizations(orgs, config);
  for (const id of missing)
    warnRun(
      rc,
      'organizations',
      '',
      'organization-not-found',
      `The source names organization ${id}, which the token does not reach; it is left out.`,
    );

  for (const s of streamsFor('global', selected)) {
    if (s.name === 'organizations' || stopped()) continue;
    await runOne({ stream: s, partition: GLOBAL, children: [], write: true });
  }

  const projectParts: Partition[] = [];
  const found: Project[] = [];
  let everyOrgListed = true;
  for (const org of chosen) {
    if (stopped()) return;
    const all: Project[] = [];
    const listed = await runOne({
      stream: planningStream('projects'),
      partition: orgPartition(org, []),
      children: [],
      write: selected.includes('projects'),
      collect: (records) => all.push(...(records as Project[])),
    });
    if (listed.outcome !== 'ok') {
      everyOrgListed = false;
      continue;
    }
    found.push(...all);
    for (const s of streamsFor('organization', selected)) {
      if (s.name === 'projects' || stopped()) continue;
      await runOne({ stream: s, partition: orgPartition(org, all), children: [], write: true });
    }
    for (const p of chooseProjects(all, config)) projectParts.push(projectPartition(org, p));
  }
  for (const id of missingProjects(found, config)) {
    warnRun(
      rc,
      'projects',
      '',
      'project-not-found',
      `The source names project ${id}, which is not among the projects the token sees; it is left out.`,
    );
  }
  if (everyOrgListed && !stopped())
    for (const id of await goneProjects(rc.dest, source.id, found, config))
      warnRun(rc, 'projects', `project:${id}`, 'project-gone', goneMessage(id));
  rc.events.emit({ type: 'plan', organizations: chosen.length, projects: projectParts.length });

  const projectStreams = streamsFor('project', selected);
  await pool(projectParts, x.concurrency, stopped, async (partition) => {
    for (const s of projectStreams) {
      if (stopped()) return;
      await runOne({ stream: s, partition, children: childrenOf(s, selected), write: true });
    }
  });
}

function warnRun(rc: RunContext, stream: string, partition: string, code: string, message: string): void {
  rc.warnings.push({ stream, partition, code, message });
  rc.events.emit({ type: 'warning', stream, partition, code, message });
}
