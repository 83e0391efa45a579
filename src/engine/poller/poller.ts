import type { Organization } from '../../bugsnag/models/organization.js';
import type { Project } from '../../bugsnag/models/project.js';
import { normalizeHost } from '../../bugsnag/hosts.js';
import { isSnagError, SnagError, toSnagError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import { openDestination } from '../../destinations/index.js';
import type { Destination } from '../../destinations/types.js';
import { DEFAULT_RATE_WINDOW_MS, sharedRateLimiter } from '../../http/rate-limiter.js';
import type { Runtime } from '../../runtime.js';
import type { Run, RunCreate, RunError, Source } from '../../store/models.js';
import type { Store } from '../../store/index.js';
import { descriptorOf, getStream } from '../../streams/catalog.js';
import type { Partition, StreamRecord } from '../../streams/types.js';
import { withParents } from '../../streams/util.js';
import { shareBudget } from '../budget-share.js';
import { clientOptionsFromEnv, type EngineClientOptions, engineClient } from '../client.js';
import { configError, selectStreams } from '../config.js';
import { RunEvents } from '../events.js';
import { errorJson, explainAuthFailure } from '../failures.js';
import { recordRunEnd, recordRunStart, type RunLineage } from '../lineage.js';
import {
  chooseOrganizations,
  chooseProjects,
  GLOBAL,
  orgPartition,
  planningStream,
  projectPartition,
} from '../planner.js';
import { assertRunnable } from '../run.js';
import { type RunContext, runJob } from '../runner.js';
import { CONTINUOUS_SYNC_MS, isContinuous } from '../schedule.js';
import { optionValue, resolveSyncOptions } from '../source-config.js';
import { Pacer } from './pacer.js';
import { type Visit, Visits } from './visits.js';

/**
 * The continuous poller of one source (schedule `continuous`, docs/sync.md "Continuous polling"): light incremental
 * looks at the `events` stream of one project at a time, paced inside `poll_share` of the token's rate limit, busy
 * projects more often than idle ones (visits.ts), and an error read only when an event names one the destination
 * does not hold. Each look is the engine's own read (`runJob` of one (events, project) job), so checkpoints, lineage
 * and the run history work as for any run: the poller's looks are one run record per segment, a segment lasting
 * until the source's next full incremental sync (every CONTINUOUS_SYNC_MS), during which the poller stands aside.
 */
export interface PollerOptions {
  /** Default: from the environment (SNAGSYNC_RATE_WINDOW_MS…), as runs do. */
  client?: EngineClientOptions;
  /** The longest an idle project waits between looks (default 5 rate windows: 5 min against Bugsnag). */
  maxIntervalMs?: number;
  /** After each look (tests, the freshness bench). */
  onLook?: (look: LookReport) => void;
  onError?: (err: SnagError) => void;
}

export interface LookReport {
  partition: string;
  /** Events newer than what the poller had seen of the project. */
  found: number;
  requests: number;
  errorsRead: number;
  ok: boolean;
}

export interface PollerProjectStatus {
  partition: string;
  /** Events its looks found lately (decaying by half every 3 maximum intervals): busier projects are looked at more. */
  activity: number;
  last_look_at: string | null;
  last_found: number;
  looks: number;
}

/** What the API and run pages can show of a poller (issue 21, item 8: its share of the budget). */
export interface PollerStatus {
  source_id: string;
  state: 'starting' | 'polling' | 'standing-aside' | 'waiting' | 'stopped';
  /** `poll_share`, and what it comes to: requests per minute of the token's limit (per window, scaled in tests). */
  share: number;
  limit_per_window: number;
  window_ms: number;
  requests_per_window: number;
  run_id: string | null;
  started_at: string;
  looks: number;
  failed_looks: number;
  requests: number;
  events_written: number;
  errors_read: number;
  projects: PollerProjectStatus[];
  last_error: string | null;
}

export interface PollerHandle {
  sourceId: string;
  status(): PollerStatus;
  /**
   * Ends the segment in progress (its run record finished) and starts no other until `release` is called: a full
   * sync of the source runs meanwhile. Resolves once the segment has ended.
   */
  hold(): Promise<() => void>;
  stop(): void;
  /** Settles once stopped and the last segment recorded. */
  done: Promise<void>;
}

/** Requests per window a token allows until its answers tell (Bugsnag's documented default). */
export const DEFAULT_LIMIT = 30;

export function startPoller(runtime: Runtime, sourceId: string, options: PollerOptions = {}): PollerHandle {
  const stopper = new AbortController();
  let segment: AbortController | null = null;
  let holds = 0;
  let released: (() => void) | null = null;
  let segmentEnded: Promise<void> = Promise.resolve();
  const clientOptions = options.client ?? clientOptionsFromEnv(runtime.env);
  const windowMs = clientOptions.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS;
  const status: PollerStatus = {
    source_id: sourceId,
    state: 'starting',
    share: 0.5,
    limit_per_window: DEFAULT_LIMIT,
    window_ms: windowMs,
    requests_per_window: DEFAULT_LIMIT / 2,
    run_id: null,
    started_at: new Date().toISOString(),
    looks: 0,
    failed_looks: 0,
    requests: 0,
    events_written: 0,
    errors_read: 0,
    projects: [],
    last_error: null,
  };
  const ctx: SegmentContext = {
    runtime,
    sourceId,
    options,
    clientOptions,
    windowMs,
    status,
    stopped: stopper.signal,
  };

  const loop = async () => {
    while (!stopper.signal.aborted) {
      if (holds > 0) {
        status.state = 'standing-aside';
        await new Promise<void>((resolve) => {
          released = resolve;
          stopper.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      segment = new AbortController();
      const ended = runSegment(ctx, segment.signal);
      segmentEnded = ended.then(
        () => undefined,
        () => undefined,
      );
      try {
        await ended;
      } catch (err) {
        if (!(err instanceof NotYet)) {
          const e = toSnagError(err);
          status.last_error = e.message;
          options.onError?.(e);
        }
        status.state = err instanceof StandAside ? 'standing-aside' : 'waiting';
        // A source that cannot poll now (a sync holds it, a refused token, a destination down): try again later.
        await sleep(windowMs, stopper.signal).catch(() => undefined);
      }
    }
    status.state = 'stopped';
  };

  return {
    sourceId,
    status: () => ({ ...status, projects: status.projects.map((p) => ({ ...p })) }),
    hold: async () => {
      holds++;
      segment?.abort();
      await segmentEnded;
      let once = false;
      return () => {
        if (once) return;
        once = true;
        holds--;
        if (holds === 0) released?.();
      };
    },
    stop: () => {
      stopper.abort();
      segment?.abort();
    },
    done: loop(),
  };
}

interface SegmentContext {
  runtime: Runtime;
  sourceId: string;
  options: PollerOptions;
  clientOptions: EngineClientOptions;
  windowMs: number;
  status: PollerStatus;
  /** The poller stops: a look in flight is abandoned (what it committed stays). */
  stopped: AbortSignal;
}

/** One run record's worth of looks: until the source's next full sync, a hold, or the poller stops. */
async function runSegment(x: SegmentContext, ending: AbortSignal): Promise<void> {
  const { runtime, status, windowMs } = x;
  const { store } = runtime;
  const source = await store.sources.get(x.sourceId);
  if (source?.status !== 'active' || !isContinuous(source.schedule)) {
    throw new NotYet();
  }
  // A full sync is due: it goes first (the scheduler is about to start it, and stands the poller aside for it).
  if (source.next_run_at && Date.parse(source.next_run_at) <= Date.now()) throw new NotYet();
  assertRunnable(source);
  const selected = selectStreams(source.config);
  if (!selected.includes('events'))
    throw configError(
      'streams',
      `The source "${source.name}" does not sync events, which is what the continuous poller reads.`,
      'Add the events stream to the source, or give it a timed schedule.',
    );
  const credential = await store.credentials.findByNameOrId(source.credential_id);
  const token = await runtime.vault.unseal(credential);
  const share = optionValue<number>(source.config, 'poll_share');
  const limiter = sharedRateLimiter(token, normalizeHost(credential.host).origin);
  const limit = () => limiter.budget().limit ?? DEFAULT_LIMIT;
  status.share = share;
  // Nothing synced yet: the first full sync goes first (a look without a cursor would be a whole first sync).
  if (!(await anyEventsSynced(source, runtime.home))) throw new NotYet();
  let run: Run;
  try {
    run = await store.runs.create({
      source_id: source.id,
      trigger: 'schedule',
      options: { continuous: true, poll_share: share, streams: ['events'] },
    });
  } catch (err) {
    // Another run of the source (a manual `sync`, from any process): the poller waits for it to end.
    if (isSnagError(err, 'conflict')) throw new StandAside();
    throw err;
  }
  status.run_id = run.id;
  const looksBefore = status.looks;
  status.state = 'polling';
  const started = Date.now();
  const totals = { records_read: 0, records_written: 0, requests: 0, rate_limit_wait_ms: 0 };
  const heartbeat = setInterval(() => {
    store.runs.heartbeat(run.id, totals).catch(() => undefined);
  }, 5000);
  heartbeat.unref();
  const budget = shareBudget(runtime.home, token, credential.host);
  let dest: Destination | undefined;
  let lineage: RunLineage | undefined;
  let failure: SnagError | undefined;
  try {
    dest = await openDestination(source.destination, { home: runtime.home });
    const readsErrors = selected.includes('errors');
    await dest.prepare((readsErrors ? ['events', 'errors'] : ['events']).map((n) => descriptorOf(getStream(n))));
    lineage = {
      runId: run.id,
      sourceId: source.id,
      sourceName: source.name,
      trigger: 'schedule',
      startedAt: new Date(started).toISOString(),
    };
    await recordRunStart(dest, lineage);
    const now = new Date();
    const rc: RunContext = {
      runId: run.id,
      sourceId: source.id,
      dest,
      store,
      events: new RunEvents(run.id),
      signal: x.stopped,
      // A look reaches back one rate window for late arrivals (not the sync's 15 minutes: a look every few seconds
      // would read the same quarter hour again each time); the full syncs keep the source's own look-back.
      options: { ...resolveSyncOptions(source.config, now), lookbackMs: windowMs },
      fullRefresh: false,
      now,
      liveClock: true,
      carryCounts: true,
      rows: [],
      warnings: [],
      newClient: () => engineClient(token, credential.host, x.clientOptions, () => undefined, x.stopped),
    };
    let partitions = await listProjects(rc, source);
    totals.requests += spent(rc, 0);
    rc.rows.length = 0;
    const known = readsErrors ? await knownErrors(dest) : null;
    const seen = await highWaters(dest, source.id, partitions);
    // A project never synced would make its first look a whole first sync: that is the full syncs' job.
    partitions = partitions.filter((p) => (seen.get(p.key)?.newest ?? 0) > 0);
    const pacer = new Pacer({ limit: limit(), windowMs, share });
    // Listing the projects came out of the share too.
    pacer.spend(totals.requests);
    const visits = new Visits(
      partitions.map((p) => p.key),
      { maxMs: x.options.maxIntervalMs ?? 5 * windowMs },
      Date.now(),
    );
    const byKey = new Map(partitions.map((p) => [p.key, p]));
    const fresh = await store.sources.get(source.id);
    const next = fresh?.next_run_at ? Date.parse(fresh.next_run_at) : Number.NaN;
    const endAt = Number.isFinite(next) && next > Date.now() ? next : Date.now() + CONTINUOUS_SYNC_MS;
    const stopLooking = () => ending.aborted || x.stopped.aborted || Date.now() >= endAt;
    showProjects(status, visits.list());
    // A manual sync (any process) ends this segment's run record to stand the poller aside (createRunBesidePoller).
    const endedElsewhere = async () => (await store.runs.get(run.id))?.status !== 'running';
    while (!stopLooking() && visits.size > 0) {
      const wait = Math.min(pacer.waitMs(), Math.max(0, endAt - Date.now()));
      if (wait > 0) await sleep(wait, AbortSignal.any([ending, x.stopped])).catch(() => undefined);
      if (stopLooking()) break;
      if (await endedElsewhere()) {
        status.state = 'standing-aside';
        break;
      }
      const visit = visits.next(Date.now()) as Visit;
      const partition = byKey.get(visit.key) as Partition & { kind: 'project' };
      const look = await lookOnce(rc, partition, known, seen);
      totals.requests += look.requests;
      totals.records_read += look.read;
      totals.records_written += look.read;
      status.looks++;
      status.requests += look.requests;
      status.errors_read += look.errorsRead;
      status.events_written += look.read;
      pacer.spend(look.requests);
      if (limit() !== status.limit_per_window) pacer.setLimit(limit());
      status.limit_per_window = limit();
      status.requests_per_window = Math.round(share * limit() * 100) / 100;
      if (look.error) {
        status.failed_looks++;
        status.last_error = look.error.message;
        visits.looked(visit.key, 0, Date.now());
        if (look.fatal) throw explainAuthFailure(look.error, credential);
      } else visits.looked(visit.key, look.found, Date.now());
      showProjects(status, visits.list());
      x.options.onLook?.({
        partition: visit.key,
        found: look.found,
        requests: look.requests,
        errorsRead: look.errorsRead,
        ok: !look.error,
      });
    }
  } catch (err) {
    failure = x.stopped.aborted ? undefined : toSnagError(err);
  } finally {
    clearInterval(heartbeat);
    budget.stop();
  }
  const runStatus = failure ? 'failed' : x.stopped.aborted ? 'cancelled' : 'succeeded';
  if (dest && lineage) {
    await recordRunEnd(dest, lineage, {
      status: runStatus,
      endedAt: new Date().toISOString(),
      error: failure?.message ?? null,
    }).catch(() => undefined);
  }
  await store.runs
    .finish(run.id, { status: runStatus, error: failure ? (errorJson(failure) as RunError) : null, totals })
    .catch(() => undefined);
  await dest?.close().catch(() => undefined);
  if (failure) throw failure;
  // No project to look at (none synced yet, or none left): wait a window rather than start the next segment at once.
  if (status.looks === looksBefore && !ending.aborted && !x.stopped.aborted) throw new NotYet();
}

async function anyEventsSynced(source: Source, home: string): Promise<boolean> {
  const dest = await openDestination(source.destination, { home });
  try {
    return (await dest.readCheckpoints(source.id)).some(
      (c) => c.stream === 'events' && typeof (c.state as { cursor?: unknown } | null)?.cursor === 'string',
    );
  } finally {
    await dest.close().catch(() => undefined);
  }
}

/** Not an error: the poller waits (the source is paused, or its full sync is due), quietly. */
class NotYet extends Error {}

/** Not an error: another run of the source holds it (a manual sync); the poller waits a window and tries again. */
class StandAside extends NotYet {}

/**
 * Creates a run of a source; when a continuous poller's segment holds the source (in this process or another, on
 * this machine or another sharing the store), the segment stands aside for it: its run record is ended here (the
 * poller sees that before its next look, records its own totals, and waits for this run to end before polling
 * again), and the run is created. At most the poller's look in flight overlaps the new run: both write the same
 * rows idempotently. Any other run of the source is a conflict, as before.
 */
export async function createRunBesidePoller(store: Store, input: RunCreate): Promise<Run> {
  try {
    return await store.runs.create(input);
  } catch (err) {
    const runId = isSnagError(err, 'conflict') ? err.details.run_id : undefined;
    const other = typeof runId === 'string' ? await store.runs.get(runId) : null;
    if (other?.status !== 'running' || other.options.continuous !== true) throw err;
    await store.runs.finish(other.id, { status: 'succeeded', error: null });
    return store.runs.create(input);
  }
}

/** The source's projects, listed as a run lists them (organizations, then each one's projects). */
async function listProjects(rc: RunContext, source: Source): Promise<Partition[]> {
  const orgs: Organization[] = [];
  const listed = await runJob(rc, {
    stream: planningStream('organizations'),
    partition: GLOBAL,
    children: [],
    write: false,
    collect: (records) => orgs.push(...(records as Organization[])),
  });
  if (listed.outcome !== 'ok')
    throw listed.error ?? new SnagError('internal', 'The organizations could not be listed.');
  const out: Partition[] = [];
  for (const org of chooseOrganizations(orgs, source.config).chosen) {
    const all: Project[] = [];
    const r = await runJob(rc, {
      stream: planningStream('projects'),
      partition: orgPartition(org, []),
      children: [],
      write: false,
      collect: (records) => all.push(...(records as Project[])),
    });
    if (r.outcome !== 'ok') throw r.error ?? new SnagError('internal', 'The projects could not be listed.');
    for (const p of chooseProjects(all, source.config)) out.push(projectPartition(org, p));
  }
  return out;
}

interface Look {
  found: number;
  read: number;
  requests: number;
  errorsRead: number;
  error?: SnagError;
  fatal?: boolean;
}

/**
 * One incremental pass of the project's events (the engine's read: checkpointed, in the run history), then the
 * errors its events name that the destination does not hold, each read once and written as an incremental read would.
 */
async function lookOnce(
  rc: RunContext,
  partition: Partition & { kind: 'project' },
  known: Set<string> | null,
  seen: Map<string, Seen>,
): Promise<Look> {
  const before = rc.rows.length;
  const records: StreamRecord[] = [];
  rc.now = new Date();
  const r = await runJob(rc, {
    stream: getStream('events'),
    partition,
    children: [],
    write: true,
    collect: (batch) => records.push(...batch),
  });
  let requests = spent(rc, before);
  rc.rows.length = before;
  if (r.outcome !== 'ok') return { found: 0, read: 0, requests, errorsRead: 0, error: r.error, fatal: r.fatal };
  const projectId = partition.project.id;
  const found = countNew(seen, partition.key, records);
  let errorsRead = 0;
  if (known) {
    const wanted = new Set<string>();
    for (const e of records) {
      const id = typeof e.error_id === 'string' ? e.error_id : null;
      if (id && !known.has(`${projectId}/${id}`)) wanted.add(id);
    }
    if (wanted.size > 0) {
      const api = rc.newClient('errors', partition.key);
      try {
        for (const id of wanted) {
          const error = await api.errors.get(projectId, id);
          await rc.dest.writeRecords?.('errors', [withParents(error, { project_id: projectId })], {
            sourceId: rc.sourceId,
            runId: rc.runId,
            observed: { at: new Date().toISOString(), by: 'incremental' },
            newerBy: 'last_seen_unfiltered',
          });
          known.add(`${projectId}/${id}`);
          errorsRead++;
        }
      } catch (err) {
        // The event is stored; its error is read again at the next look that sees the event (or by the next sync).
        requests += api.stats().requests;
        return { found, read: records.length, requests, errorsRead, error: toSnagError(err), fatal: false };
      }
      requests += api.stats().requests;
    }
  }
  return { found, read: records.length, requests, errorsRead };
}

/** What the project's last look read, and the newest time of it. */
export interface Seen {
  newest: number;
  ids: Set<string>;
}

/**
 * Events a look read that no look had read before: the look reaches back one window, so most of what it reads was
 * read last time (the ids of the project's last look tell), and Bugsnag's times are whole seconds (so an event of the
 * same second as the newest one seen is new when its id is).
 */
function countNew(seen: Map<string, Seen>, key: string, records: readonly StreamRecord[]): number {
  const last = seen.get(key) ?? { newest: 0, ids: new Set<string>() };
  const next: Seen = { newest: last.newest, ids: new Set() };
  let found = 0;
  for (const e of records) {
    const at = Date.parse(String(e.received_at ?? e.receivedAt ?? ''));
    const id = String(e.id);
    next.ids.add(id);
    if (Number.isFinite(at) && at >= last.newest && !last.ids.has(id)) found++;
    if (Number.isFinite(at) && at > next.newest) next.newest = at;
  }
  seen.set(key, next);
  return found;
}

/** Requests made by the rows from `from` on. */
function spent(rc: RunContext, from: number): number {
  let n = 0;
  for (const row of rc.rows.slice(from)) n += row.stats().requests;
  return n;
}

/** The errors the destination holds, as `project/id`: loaded once a segment, grown as the poller writes errors. */
async function knownErrors(dest: Destination): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    for (const r of await dest.listRecords('errors')) out.add(`${String(r.project_id)}/${String(r.id)}`);
  } catch {
    // No errors table yet: every error named is read once.
  }
  return out;
}

/** Per project, the newest event time already read (the events checkpoint's cursor): a look counts what is newer. */
async function highWaters(dest: Destination, sourceId: string, partitions: Partition[]): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  for (const p of partitions) {
    const state = (await dest.readCheckpoint(sourceId, 'events', p.key)) as { cursor?: unknown } | null;
    const at = typeof state?.cursor === 'string' ? Date.parse(state.cursor) : Number.NaN;
    out.set(p.key, { newest: Number.isFinite(at) ? at : 0, ids: new Set() });
  }
  return out;
}

function showProjects(status: PollerStatus, visits: readonly Visit[]): void {
  status.projects = visits.map((v) => ({
    partition: v.key,
    activity: Math.round(v.activity * 100) / 100,
    last_look_at: v.lastLookAt === null ? null : new Date(v.lastLookAt).toISOString(),
    last_found: v.lastFound,
    looks: v.looks,
  }));
}
