import type { Runtime } from '../../runtime.js';
import type { Source } from '../../store/models.js';
import { CONTINUOUS_SYNC_MS, isContinuous } from '../schedule.js';
import { type PollerHandle, type PollerOptions, type PollerStatus, startPoller } from './poller.js';

/**
 * The pollers of one scheduler (`schedule daemon`, `serve`): one per active source with the continuous schedule,
 * started and stopped as sources come, pause, change or go (`reconcile`, at every sweep), all stopped with the
 * scheduler. A source whose configuration changed gets a new poller, which reads the new configuration.
 */
export class Pollers {
  private readonly running = new Map<string, { handle: PollerHandle; shape: string }>();

  constructor(
    private readonly runtime: Runtime,
    private readonly options: PollerOptions = {},
  ) {}

  async reconcile(): Promise<void> {
    const sources = await this.runtime.store.sources.list({ status: 'active' });
    const wanted = new Map<string, Source>();
    for (const s of sources) if (isContinuous(s.schedule)) wanted.set(s.id, s);
    for (const [id, p] of this.running) {
      const s = wanted.get(id);
      if (!s || shapeOf(s) !== p.shape) await this.stopOne(id);
    }
    for (const [id, s] of wanted) {
      if (this.running.has(id)) continue;
      const handle = startPoller(this.runtime, id, this.options);
      this.running.set(id, { handle, shape: shapeOf(s) });
      live.set(id, handle);
    }
  }

  /** Stands the source's poller aside while a full sync of it runs (see PollerHandle.hold). */
  async hold(sourceId: string): Promise<() => void> {
    const p = this.running.get(sourceId);
    return p ? p.handle.hold() : () => undefined;
  }

  ids(): string[] {
    return [...this.running.keys()];
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stopOne(id)));
  }

  private async stopOne(id: string): Promise<void> {
    const p = this.running.get(id);
    if (!p) return;
    this.running.delete(id);
    if (live.get(id) === p.handle) live.delete(id);
    p.handle.stop();
    await p.handle.done;
  }
}

/** What a poller reads with: a change to any of these starts it afresh. */
function shapeOf(s: Source): string {
  return JSON.stringify([s.credential_id, s.destination, s.config, s.schedule]);
}

/** Pollers running in this process, by source id: what the API shows of a source's poller. */
const live = new Map<string, PollerHandle>();

export function pollerStatus(sourceId: string): PollerStatus | undefined {
  return live.get(sourceId)?.status();
}

/**
 * What `schedule run-due` (one sweep, from cron) says about continuous sources: it runs their full incremental sync
 * when due (every CONTINUOUS_SYNC_MS), like any schedule, but polls only in a process that stays up. Null when the
 * store has no active continuous source.
 */
export async function continuousNotice(runtime: Runtime): Promise<string | null> {
  const names = (await runtime.store.sources.list({ status: 'active' }))
    .filter((s) => isContinuous(s.schedule))
    .map((s) => s.name);
  if (names.length === 0) return null;
  const list = names.map((n) => `"${n}"`).join(', ');
  return (
    `${names.length === 1 ? 'Source' : 'Sources'} ${list} ${names.length === 1 ? 'has' : 'have'} the continuous schedule: ` +
    `run-due syncs ${names.length === 1 ? 'it' : 'them'} when the full sync is due (every ${CONTINUOUS_SYNC_MS / 60_000} minutes) ` +
    'but cannot poll between runs, because polling needs a process that stays up. ' +
    'Run `snagsync schedule daemon` (instead of run-due from cron) or `snagsync serve` to keep new events within seconds.'
  );
}
