import type { IdCodec } from '../ids.js';
import { hash, hashString } from '../prng.js';
import { ErrorPattern } from './pattern.js';
import {
  eventProto,
  makeErrorSeed,
  type ErrorSeed,
  type ErrorStatus,
  type EventProto,
  type Severity,
} from './errors.js';
import { buildReleases, type ReleaseSet } from './releases.js';
import { Timeline } from './timeline.js';
import { volumeModel } from './volume.js';
import type { ProjectSeed, World } from './world.js';

const DAY = 86_400;
const MIN_HISTORY = 30 * DAY;

export interface Issue {
  id: string;
  key: string;
  number: number;
  type: string;
  url: string;
}

export interface ReopenRules {
  reopen_if: string;
  [k: string]: unknown;
}

/** Mutable workflow state of an error: the overlay that writes change and later reads see. */
export interface ErrorState {
  status: ErrorStatus;
  overriddenSeverity: Severity | null;
  assignee: number;
  team: number;
  reopenRules: ReopenRules | null;
  linkedIssues: Issue[];
  createdIssue: Issue | null;
  discarded: boolean;
  deleted: boolean;
  addedComments: AddedComment[];
  /** Comments deleted through the API (`DELETE /comments/{id}`), by index. */
  deletedComments: number[];
}

export interface AddedComment {
  index: number;
  message: string;
  user: number;
  createdMs: number;
}

/**
 * One project's errors and events. Generated events are numbered 0…N−1 from oldest to newest and spread over a
 * history window that ends at the anchor, with a daily volume that varies like real traffic (volume.ts, timeline.ts:
 * on average at most one event per second, busy seconds hold several); events added at run time continue the
 * numbering with their own timestamps. Index order is time order, so "events before time T" is an index bound
 * computed from a small per-day table, and any page is produced directly from its cursor.
 */
/** Parts of an added event's full report given by the caller (an app's free-form data). */
export interface AddedPayload {
  metaData?: Record<string, unknown>;
  breadcrumbs?: unknown[];
}

export class ProjectData {
  readonly seed: number;
  readonly generated: number;
  readonly historySec: number;
  readonly startSec: number;
  readonly pattern: ErrorPattern;
  readonly timeline: Timeline;
  private errorSeeds: Array<ErrorSeed | undefined>;
  private readonly addedErrors: ErrorSeed[] = [];
  private readonly states = new Map<number, ErrorState>();
  private readonly deleted = new Set<number>();
  private readonly protoCache = new Map<number, EventProto[]>();
  private releaseSet: ReleaseSet | undefined;
  /** Added events: second, error, occurrence number. */
  private readonly addedSec: number[] = [];
  private readonly addedErr: number[] = [];
  private readonly addedOcc: number[] = [];
  /** Error → global indexes of its added events (ascending). */
  private readonly addedByError = new Map<number, number[]>();
  /**
   * What an added event was given to serve in its full report (`POST /__sim/events {"meta_data", "breadcrumbs"}`),
   * as it came: any keys.
   */
  readonly addedPayload = new Map<number, AddedPayload>();
  /**
   * Bumped when error state changes (writes, deletions, new errors). Added events do not bump it: they only ever
   * extend the index space, so anything computed over a fixed index range stays valid.
   */
  stateVersion = 0;

  constructor(
    readonly world: World,
    readonly project: ProjectSeed,
    errors: number,
    events: number,
    private readonly releaseCount: number,
  ) {
    this.seed = hash(world.opts.seed, hashString('project-data'), project.gi);
    this.generated = events;
    // Long enough that the average stays at most one event per second (busy days and hours go above it).
    this.historySec = Math.max(MIN_HISTORY, events);
    this.startSec = world.opts.anchorSec - this.historySec;
    this.timeline = new Timeline(this.startSec, world.opts.anchorSec, events, (midnight, days) =>
      volumeModel(this.seed, project.kind.platform, midnight, days),
    );
    this.pattern = new ErrorPattern(this.seed, errors, events);
    this.errorSeeds = new Array<ErrorSeed | undefined>(this.pattern.errors);
  }

  get ids(): IdCodec {
    return this.world.ids;
  }

  // ---- events -----------------------------------------------------------------------------------------------------

  get totalEvents(): number {
    return this.generated + this.addedSec.length;
  }

  /** Second at which event i was received. */
  timeOf(i: number): number {
    return i < this.generated ? this.timeline.timeOf(i) : this.addedSec[i - this.generated]!;
  }

  /** Number of events received strictly before second `sec` (= index of the first event at or after it). */
  indexAt(sec: number): number {
    const gen = this.timeline.indexAt(sec);
    if (gen < this.generated) return gen;
    return this.generated + lowerBound(this.addedSec, sec);
  }

  errorOfEvent(i: number): number {
    return i < this.generated ? this.pattern.errorAt(i) : this.addedErr[i - this.generated]!;
  }

  occurrenceOfEvent(i: number): number {
    return i < this.generated ? this.pattern.occurrenceAt(i) : this.addedOcc[i - this.generated]!;
  }

  eventId(i: number): string {
    return this.ids.encode('event', this.project.gi, i);
  }

  /** Event index for an id of this project, or null (unknown, not yet added, or its error was deleted). */
  eventIndex(id: string): number | null {
    const d = this.ids.decodeAs('event', id);
    if (!d || d.parent !== this.project.gi || d.index >= this.totalEvents) return null;
    if (this.deleted.has(this.errorOfEvent(d.index))) return null;
    return d.index;
  }

  // ---- errors -----------------------------------------------------------------------------------------------------

  get errorCount(): number {
    return this.pattern.errors + this.addedErrors.length;
  }

  errorSeed(e: number): ErrorSeed {
    if (e >= this.pattern.errors) return this.addedErrors[e - this.pattern.errors]!;
    let s = this.errorSeeds[e];
    if (!s) {
      s = makeErrorSeed(this.world.opts.seed, this.ids, this.project, e, this.assignable());
      this.errorSeeds[e] = s;
    }
    return s;
  }

  errorIndex(id: string): number | null {
    const d = this.ids.decodeAs('error', id);
    if (!d || d.parent !== this.project.gi || d.index >= this.errorCount || this.deleted.has(d.index)) return null;
    return d.index;
  }

  isDeleted(e: number): boolean {
    return this.deleted.has(e);
  }

  get deletedErrors(): ReadonlySet<number> {
    return this.deleted;
  }

  state(e: number): ErrorState {
    let st = this.states.get(e);
    if (!st) {
      const seed = this.errorSeed(e);
      st = {
        status: seed.initialStatus,
        overriddenSeverity: null,
        assignee: seed.assignee,
        team: -1,
        reopenRules:
          seed.initialStatus === 'snoozed'
            ? { reopen_if: 'n_additional_occurrences', additional_occurrences: 10, occurrence_threshold: 10 }
            : null,
        linkedIssues: seed.linkedIssue ? [this.issueFor(e, 'jira')] : [],
        createdIssue: null,
        discarded: false,
        deleted: false,
        addedComments: [],
        deletedComments: [],
      };
      this.states.set(e, st);
    }
    return st;
  }

  /** Read-only view of the state, without storing a default one in the overlay (lists read millions of these). */
  peekState(e: number): ErrorState {
    const st = this.states.get(e);
    if (st) return st;
    const fresh = this.state(e);
    this.states.delete(e);
    return fresh;
  }

  markDeleted(e: number): void {
    this.state(e).deleted = true;
    this.deleted.add(e);
    this.stateVersion++;
  }

  touch(): void {
    this.stateVersion++;
  }

  issueFor(e: number, type: string): Issue {
    const n = 100 + (hash(this.seed, e, hashString(type)) % 9000);
    const key = `${this.project.slug.slice(0, 4).toUpperCase()}-${n}`;
    return { id: String(10_000 + n), key, number: n, type, url: `https://issues.example.com/browse/${key}` };
  }

  /** Generated occurrences of error e (all of them, whatever the time). */
  generatedOccurrences(e: number): number {
    return e < this.pattern.errors ? this.pattern.countBelow(e, this.generated) : 0;
  }

  totalOccurrences(e: number): number {
    return this.generatedOccurrences(e) + (this.addedByError.get(e)?.length ?? 0);
  }

  /** Occurrences of error e whose event index is below the global index bound x. */
  occurrencesBelow(e: number, x: number): number {
    if (x <= this.generated) return e < this.pattern.errors ? this.pattern.countBelow(e, x) : 0;
    const added = this.addedByError.get(e);
    return this.generatedOccurrences(e) + (added ? lowerBound(added, x) : 0);
  }

  /** Global event index of error e's k-th occurrence. */
  occurrenceIndex(e: number, k: number): number {
    const gen = this.generatedOccurrences(e);
    if (k < gen) return this.pattern.indexOf(e, k);
    return this.addedByError.get(e)![k - gen]!;
  }

  proto(e: number, k: number): EventProto {
    const seed = this.errorSeed(e);
    let list = this.protoCache.get(e);
    if (!list) {
      list = [];
      this.protoCache.set(e, list);
    }
    const r = k % seed.period;
    let p = list[r];
    if (!p) {
      p = eventProto(this.world.opts.seed, this.project, seed, r, this.releases.versionsByStage);
      list[r] = p;
    }
    return p;
  }

  get releases(): ReleaseSet {
    this.releaseSet ??= buildReleases(
      this.world.opts.seed,
      this.ids,
      this.project,
      this.releaseCount,
      this.startSec,
      this.historySec,
    );
    return this.releaseSet;
  }

  // ---- run-time additions -----------------------------------------------------------------------------------------

  /** Append one event for error e at second `sec` (never earlier than the previous added event). */
  addEvent(e: number, sec: number): number {
    const last = this.addedSec[this.addedSec.length - 1];
    const at = last !== undefined && last > sec ? last : sec;
    const i = this.totalEvents;
    const k = this.totalOccurrences(e);
    this.addedSec.push(at);
    this.addedErr.push(e);
    this.addedOcc.push(k);
    const list = this.addedByError.get(e) ?? [];
    list.push(i);
    this.addedByError.set(e, list);
    return i;
  }

  /**
   * A brand-new error group (its events are added separately). `shape` replaces generated fields: an error created by
   * a notifier's payload (routes/notify.ts) has the class, message, frame and status the payload implies.
   */
  addError(sec: number, shape: Partial<Omit<ErrorSeed, 'index' | 'id' | 'createdSec'>> = {}): number {
    const e = this.errorCount;
    const seed = makeErrorSeed(this.world.opts.seed, this.ids, this.project, e, this.assignable(), sec);
    this.addedErrors.push({ ...seed, ...shape });
    this.stateVersion++;
    return e;
  }

  get lastAddedSec(): number | undefined {
    return this.addedSec[this.addedSec.length - 1];
  }

  private assignableCache: number[] | undefined;
  private assignable(): number[] {
    this.assignableCache ??= this.world.projectMembers(this.project.gi).map((m) => m.user);
    return this.assignableCache;
  }
}

/** First position in an ascending array whose value is ≥ x. */
export function lowerBound(arr: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
