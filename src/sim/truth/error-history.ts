import type { ProjectData } from '../data/project.js';
import { isoMs, isoSecMs } from '../format.js';

/**
 * The truth of each error's history: every change of the fields `error_history` tracks (status, severity, assigned
 * collaborator and team), with when it happened by the simulator's clock and what caused it. Tests compare a
 * destination's `error_history` with the intervals this yields: what it would hold if every change were observed the
 * moment it happened.
 *
 * An error's log starts, on its first change, with the state it had before (its baseline): open since its first
 * event (Bugsnag opens an error with its first event, and snagsync starts a first open state there too), or, for an
 * error generated fixed, ignored, snoozed…, since the simulator started (when it took that status is before anything
 * could observe it).
 */
export interface TrackedState {
  status: string;
  severity: string;
  assigned_collaborator_id: string | null;
  assigned_team_id: string | null;
}

/** What changed an error: a Data Access API write, a new event reopening it, a scripted change, its deletion. */
export type ChangeCause = 'initial' | 'patch' | 'event' | 'scripted' | 'deleted';

export interface TruthChange extends TrackedState {
  project_id: string;
  error_id: string;
  /** When the state began (ISO, milliseconds). */
  at: string;
  cause: ChangeCause;
}

export interface TruthInterval extends TrackedState {
  valid_from: string;
  /** When the next state began (exclusive), or the deletion; null for the current state. */
  valid_to: string | null;
  cause: ChangeCause;
}

export interface ErrorTruth {
  project_id: string;
  error_id: string;
  /** Every recorded change, oldest first (the first one the baseline, cause `initial`); deletions included. */
  changes: TruthChange[];
  intervals: TruthInterval[];
  deleted_at: string | null;
}

interface Entry {
  state: TrackedState | null;
  atMs: number;
  cause: ChangeCause;
}

export class ChangeTimeError extends Error {}

export class ErrorHistoryTruth {
  /** Per `gi/e`: the error's changes, oldest first; absent while it has never changed. */
  private readonly logs = new Map<string, Entry[]>();

  constructor(private readonly startMs: number) {}

  /**
   * Runs `apply` (which may change error e, or throw after changing part of it) and records the tracked fields
   * after it when they moved, or the deletion. An `atMs` before the error's last change is taken as that change's
   * time unless `strict` (an error added at run time is stamped a little ahead of the clock); with `strict` it is
   * refused before anything changes.
   */
  change(pd: ProjectData, e: number, atMs: number, cause: ChangeCause, apply: () => void, strict = false): void {
    const log = this.logOf(pd, e);
    const last = log[log.length - 1]!;
    if (strict && last.state !== null && atMs < last.atMs)
      throw new ChangeTimeError(
        `at ${isoMs(atMs)} is before the error's last change (${isoMs(last.atMs)}): changes are recorded in time order`,
      );
    try {
      apply();
    } finally {
      note(pd, e, log, atMs, cause);
    }
  }

  /**
   * Records a change already made elsewhere (an event reopening the error): `before` is the state it had, the
   * baseline if this is the error's first change.
   */
  changed(pd: ProjectData, e: number, atMs: number, cause: ChangeCause, before: Partial<TrackedState>): void {
    note(pd, e, this.logOf(pd, e, { ...trackedState(pd, e), ...before }), atMs, cause);
  }

  /** The truth of error e: its changes and its intervals (a never-changed error: its baseline, still open). */
  of(pd: ProjectData, e: number): ErrorTruth {
    const log = this.logs.get(key(pd, e)) ?? [this.baseline(pd, e)];
    const project_id = pd.project.id;
    const error_id = pd.errorSeed(e).id;
    const changes: TruthChange[] = [];
    const intervals: TruthInterval[] = [];
    let deleted_at: string | null = null;
    for (const entry of log) {
      const at = isoMs(entry.atMs);
      const open = intervals[intervals.length - 1];
      if (open) open.valid_to = at;
      if (entry.state === null) {
        deleted_at = at;
        changes.push({ ...lastState(intervals), project_id, error_id, at, cause: entry.cause });
        break;
      }
      changes.push({ project_id, error_id, ...entry.state, at, cause: entry.cause });
      intervals.push({ ...entry.state, valid_from: at, valid_to: null, cause: entry.cause });
    }
    return { project_id, error_id, changes, intervals, deleted_at };
  }

  private logOf(pd: ProjectData, e: number, before?: TrackedState): Entry[] {
    const k = key(pd, e);
    let log = this.logs.get(k);
    if (!log) {
      log = [this.baseline(pd, e, before)];
      this.logs.set(k, log);
    }
    return log;
  }

  private baseline(pd: ProjectData, e: number, before?: TrackedState): Entry {
    if (pd.isDeleted(e)) return { state: null, atMs: this.startMs, cause: 'deleted' };
    const state = before ?? trackedState(pd, e);
    const seed = pd.errorSeed(e);
    const atMs =
      state.status === 'open'
        ? Date.parse(isoSecMs(firstSeenSec(pd, e)))
        : Math.max(this.startMs, seed.createdSec * 1000);
    return { state, atMs, cause: 'initial' };
  }
}

/** Appends error e's state after a change to its log, unless nothing tracked moved; never before the last change. */
function note(pd: ProjectData, e: number, log: Entry[], atMs: number, cause: ChangeCause): void {
  const last = log[log.length - 1]!;
  if (last.state === null) return;
  const after = pd.isDeleted(e) ? null : trackedState(pd, e);
  if (after !== null && sameState(after, last.state)) return;
  const at = Math.max(atMs, last.atMs);
  // A change at the very time of the previous one replaces it: a state that lasted no time never existed.
  if (at === last.atMs) log[log.length - 1] = { state: after, atMs: at, cause };
  else log.push({ state: after, atMs: at, cause });
  if (log.length > 1 && sameTail(log)) log.pop();
}

/** The tracked fields of error e as the API shows them now. */
export function trackedState(pd: ProjectData, e: number): TrackedState {
  const seed = pd.errorSeed(e);
  const st = pd.peekState(e);
  return {
    status: st.status,
    severity: st.overriddenSeverity ?? seed.severity,
    assigned_collaborator_id: st.assignee >= 0 ? pd.world.users[st.assignee]!.id : null,
    assigned_team_id: st.team >= 0 ? pd.world.teams[st.team]!.id : null,
  };
}

/** `first_seen_unfiltered` (views/errors.ts): its first event, or when it was created if it has none. */
function firstSeenSec(pd: ProjectData, e: number): number {
  return pd.totalOccurrences(e) > 0 ? pd.timeOf(pd.occurrenceIndex(e, 0)) : pd.errorSeed(e).createdSec;
}

function sameState(a: TrackedState, b: TrackedState): boolean {
  return (
    a.status === b.status &&
    a.severity === b.severity &&
    a.assigned_collaborator_id === b.assigned_collaborator_id &&
    a.assigned_team_id === b.assigned_team_id
  );
}

/** A replacement that brought the last state back to the one before it: the two are one interval. */
function sameTail(log: Entry[]): boolean {
  const a = log[log.length - 2]!.state;
  const b = log[log.length - 1]!.state;
  return a !== null && b !== null && sameState(a, b);
}

function lastState(intervals: TruthInterval[]): TrackedState {
  const i = intervals[intervals.length - 1];
  return i
    ? {
        status: i.status,
        severity: i.severity,
        assigned_collaborator_id: i.assigned_collaborator_id,
        assigned_team_id: i.assigned_team_id,
      }
    : { status: 'deleted', severity: '', assigned_collaborator_id: null, assigned_team_id: null };
}

const key = (pd: ProjectData, e: number) => `${pd.project.gi}/${e}`;
