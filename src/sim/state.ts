import { ProjectData, type AddedPayload } from './data/project.js';
import { hash } from './prng.js';
import { World, type TokenSeed } from './data/world.js';
import type { ResolvedOptions } from './options.js';
import { EdrStore } from './edr/store.js';
import { ErrorHistoryTruth } from './truth/error-history.js';
import type { ErrorStatus } from './data/errors.js';
import { reopenOnEvent, type Reopening } from './data/reopen.js';
import { addRelease, type NewRelease, type ReleaseSeed } from './data/releases.js';

/** A small LRU for computed lists (sorted errors of a project under one filter), keyed by everything they depend on. */
export class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

export interface AddedEvent {
  id: string;
  project_id: string;
  error_id: string;
  received_at: string;
}

/**
 * Something that happened to the data at run time, for whoever listens (the webhook sender): an event arrived
 * (`occurrence` is the error's count including it), a collaborator changed an error's status through the API, or
 * commented on it. Generated history never produces changes.
 */
export type SimChange =
  | { kind: 'event'; gi: number; error: number; event: number; occurrence: number; reopened: Reopening | null }
  | { kind: 'status'; gi: number; error: number; from: ErrorStatus; to: ErrorStatus; user: number }
  | { kind: 'comment'; gi: number; error: number; comment: number; user: number }
  | { kind: 'release'; gi: number; release: number };

/**
 * Everything a running simulator knows: the generated world, per-project data (created on first use), the overlay of
 * run-time changes, and the clock rules for data added while clients page.
 *
 * Clock rule: a paging walk fixes `base` (exclusive, whole seconds) on its first request and only sees events before
 * it. Data added at run time is stamped no earlier than any base already handed out, so a walk in progress never sees
 * it (pages do not shift), while a new walk (whose default base is past every added event) always does. Under rapid
 * add/list interleaving this can stamp added events up to a few seconds ahead of the wall clock.
 */
export class SimState {
  readonly world: World;
  private readonly data: Array<ProjectData | undefined>;
  readonly revoked = new Set<string>();
  readonly cache = new Lru<unknown>(256);
  readonly edr: EdrStore;
  /** Every change of an error's status, severity and assignment, timed by the clock (truth/error-history.ts). */
  readonly truth: ErrorHistoryTruth;
  private maxIssuedBaseSec = 0;
  private maxAddedSec = 0;
  readonly startMs: number;
  private readonly listeners: Array<(c: SimChange) => void> = [];

  constructor(
    readonly opts: ResolvedOptions,
    nowMs: number,
  ) {
    this.world = new World(opts);
    this.data = new Array<ProjectData | undefined>(this.world.projects.length);
    this.startMs = nowMs;
    this.truth = new ErrorHistoryTruth(nowMs);
    this.edr = new EdrStore({ prepareMs: opts.edrPrepareMs, urlTtlMs: opts.edrUrlTtlMs, expireMs: opts.edrExpireMs });
  }

  project(gi: number): ProjectData {
    let d = this.data[gi];
    if (!d) {
      d = new ProjectData(this.world, this.world.projects[gi]!, this.opts.errors, this.opts.events, this.opts.releases);
      this.data[gi] = d;
    }
    return d;
  }

  onChange(listener: (c: SimChange) => void): void {
    this.listeners.push(listener);
  }

  emit(change: SimChange): void {
    for (const l of this.listeners) l(change);
  }

  tokenValid(t: TokenSeed): boolean {
    return !this.revoked.has(t.token);
  }

  /** The base a request without one gets: just past now, and past every event added so far. */
  defaultBaseSec(nowMs: number): number {
    return Math.max(Math.floor(nowMs / 1000) + 1, this.maxAddedSec + 1);
  }

  /** Remember a base a walk uses (bases far in the future are ignored: they cannot be protecting a walk). */
  noteBase(sec: number, nowMs: number): void {
    if (sec <= Math.floor(nowMs / 1000) + 5 || sec <= this.maxAddedSec + 1)
      this.maxIssuedBaseSec = Math.max(this.maxIssuedBaseSec, sec);
  }

  /** Second to stamp a run-time event with. */
  stampSec(nowMs: number): number {
    const sec = Math.max(Math.floor(nowMs / 1000), this.maxIssuedBaseSec, this.maxAddedSec);
    this.maxAddedSec = sec;
    return sec;
  }

  /**
   * `reopen`: the events come from a notifier, so a fixed (or snoozed past its rule) error reopens as in Bugsnag.
   * Events added through the control API leave statuses alone, as they always have.
   */
  addEvents(
    gi: number,
    count: number,
    error: number | null,
    nowMs: number,
    reopen = false,
    payload?: AddedPayload,
  ): AddedEvent[] {
    const pd = this.project(gi);
    const out: AddedEvent[] = [];
    for (let n = 0; n < count; n++) {
      const sec = this.stampSec(nowMs);
      // Without a chosen error, new events go to existing errors in proportion to their weight, like real traffic.
      const e = error ?? pickLiveError(pd, pd.totalEvents);
      const reopened = reopen ? reopenOnEvent(pd, e, nowMs) : null;
      if (reopened) this.truth.changed(pd, e, nowMs, 'event', { status: reopened.from });
      const i = pd.addEvent(e, sec);
      if (payload) pd.addedPayload.set(i, payload);
      if (this.listeners.length > 0)
        this.emit({ kind: 'event', gi, error: e, event: i, occurrence: pd.totalOccurrences(e), reopened });
      out.push({
        id: pd.eventId(i),
        project_id: pd.project.id,
        error_id: pd.errorSeed(e).id,
        received_at: new Date(sec * 1000).toISOString(),
      });
    }
    return out;
  }

  /** A release made now (see data/releases.ts addRelease), stamped by the clock rule like an added event. */
  addRelease(gi: number, r: NewRelease, nowMs: number): ReleaseSeed {
    const pd = this.project(gi);
    const seed = addRelease(pd.releases, this.world.ids, gi, r, this.stampSec(nowMs));
    if (this.listeners.length > 0) this.emit({ kind: 'release', gi, release: seed.index });
    return seed;
  }

  addErrors(
    gi: number,
    count: number,
    eventsPerError: number,
    nowMs: number,
  ): Array<{ id: string; events: AddedEvent[] }> {
    const pd = this.project(gi);
    const out: Array<{ id: string; events: AddedEvent[] }> = [];
    for (let n = 0; n < count; n++) {
      const e = pd.addError(this.stampSec(nowMs));
      out.push({ id: pd.errorSeed(e).id, events: this.addEvents(gi, Math.max(1, eventsPerError), e, nowMs) });
    }
    return out;
  }
}

function pickLiveError(pd: ProjectData, salt: number): number {
  for (let tries = 0; tries < 64; tries++) {
    const e = pd.pattern.errorAt(hash(pd.seed, salt, tries) % pd.pattern.period);
    if (!pd.isDeleted(e)) return e;
  }
  for (let e = 0; e < pd.errorCount; e++) if (!pd.isDeleted(e)) return e;
  return pd.addError(0);
}
