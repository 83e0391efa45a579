import { SnagError } from '../../core/errors.js';
import type { Run } from '../../store/models.js';
import type { ServerDeps } from '../types.js';

/**
 * What is under way with a credential's token: the syncs in progress of the sources that use it, and the write-back
 * applies in progress of the destinations that use it. Deleting the credential stops them — a run already holds the
 * token, and would otherwise go on using a credential that no longer exists — and the delete dialog says so first.
 *
 * Who uses the credential is read before it is deleted (the store then forgets the link: sources are disabled,
 * destinations lose their credential); what is live is read after, so that a run started in between is stopped too.
 */

export interface CredentialUsers {
  sources: Array<{ id: string; name: string }>;
  sinks: Array<{ id: string; name: string }>;
}

export interface LiveRunRef {
  id: string;
  data_source_id: string;
  data_source_name: string;
}

export interface LiveApplyRef {
  id: string;
  data_sink_id: string;
  data_sink_name: string;
}

export interface LiveWork {
  /** Syncs this server executes or can reach through its executor. */
  runs: LiveRunRef[];
  /** Syncs of another process (a terminal, cron) that this server cannot stop. */
  elsewhere: Array<LiveRunRef & { pid: number | null; hostname: string | null }>;
  applies: LiveApplyRef[];
}

export interface StoppedWork {
  cancelled_runs: Array<LiveRunRef & { status: string }>;
  stopped_applies: Array<LiveApplyRef & { status: string }>;
  /** Runs in progress in another process, which go on until they end or are stopped where they run. */
  runs_elsewhere: LiveWork['elsewhere'];
}

export async function credentialUsers(deps: ServerDeps, credentialId: string): Promise<CredentialUsers> {
  const { store } = deps.runtime;
  const sources = await store.sources.list({ credentialId });
  const sinks = (await store.sinks.list()).filter((s) => s.credential_id === credentialId);
  return {
    sources: sources.map((s) => ({ id: s.id, name: s.name })),
    sinks: sinks.map((s) => ({ id: s.id, name: s.name })),
  };
}

/** The runs and applies in progress with the credential's users, as the delete dialog and a 409 list them. */
export async function liveWorkOf(deps: ServerDeps, users: CredentialUsers): Promise<LiveWork> {
  const work: LiveWork = { runs: [], elsewhere: [], applies: [] };
  for (const s of users.sources) {
    const here = deps.runs.liveFor(s.id);
    const ref = (id: string) => ({ id, data_source_id: s.id, data_source_name: s.name });
    if (here) work.runs.push(ref(here.handle.runId));
    for (const r of await storedLive(deps, s.id)) {
      if (r.id === here?.handle.runId) continue;
      // A queued run of a cluster is cancelled through the executor; a run of another process is out of reach.
      if (deps.runs.executor.cancel) work.runs.push(ref(r.id));
      else work.elsewhere.push({ ...ref(r.id), pid: r.pid, hostname: r.hostname });
    }
  }
  for (const k of users.sinks) {
    const live = deps.sinkRuns.liveFor(k.id);
    if (live) work.applies.push({ id: live.run.id, data_sink_id: k.id, data_sink_name: k.name });
  }
  return work;
}

/**
 * Cancels the runs and stops the applies in progress with the credential's users, and waits until each has ended and
 * is recorded (a run's page in flight is abandoned, what it committed stays; an apply's sent writes are journaled),
 * so that no request with the token leaves after the answer.
 */
export async function stopLiveWork(deps: ServerDeps, users: CredentialUsers, reason: string): Promise<StoppedWork> {
  const work = await liveWorkOf(deps, users);
  const out: StoppedWork = { cancelled_runs: [], stopped_applies: [], runs_elsewhere: [] };
  const waits: Array<Promise<void>> = [];
  for (const ref of work.runs) {
    const tracked = deps.runs.get(ref.id);
    if (tracked && deps.runs.cancel(ref.id, reason)) {
      waits.push(
        tracked.handle.done.then((summary) => {
          out.cancelled_runs.push({ ...ref, status: summary.status });
        }),
      );
      continue;
    }
    const run = await deps.runtime.store.runs.get(ref.id);
    if (run?.status !== 'running') continue;
    if (await deps.runs.cancelElsewhere(run)) out.cancelled_runs.push({ ...ref, status: 'cancelling' });
    else out.runs_elsewhere.push({ ...ref, pid: run.pid, hostname: run.hostname });
  }
  out.runs_elsewhere.push(...work.elsewhere);
  // An apply still planning has no run yet, but has the token: it is refused rather than started.
  const refused = new SnagError('conflict', `${reason} The write-back was not started.`, {
    hint: 'Give the destination another credential, then apply again.',
  });
  for (const k of users.sinks) deps.sinkRuns.abortStarting(k.id, refused);
  for (const ref of work.applies) {
    const live = deps.sinkRuns.get(ref.id);
    if (!live) continue;
    live.controller.abort();
    waits.push(
      live.done.then((stored) => {
        out.stopped_applies.push({ ...ref, status: stored.status });
      }),
    );
  }
  await Promise.all(waits);
  if (out.cancelled_runs.length || out.stopped_applies.length || out.runs_elsewhere.length) {
    deps.logger.info(
      {
        cancelled_runs: out.cancelled_runs.map((r) => r.id),
        stopped_applies: out.stopped_applies.map((a) => a.id),
        runs_elsewhere: out.runs_elsewhere.map((r) => r.id),
      },
      'work of a deleted credential stopped',
    );
  }
  return out;
}

async function storedLive(deps: ServerDeps, sourceId: string): Promise<Run[]> {
  return deps.runtime.store.runs.list({ sourceId, status: 'running', limit: 10 });
}
