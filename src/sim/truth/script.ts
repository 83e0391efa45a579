import { STATUSES, type ErrorStatus, type Severity } from '../data/errors.js';
import type { ProjectData } from '../data/project.js';
import { parseTimestamp } from '../../core/time.js';
import type { SimState } from '../state.js';
import type { ErrorTruth } from './error-history.js';

/**
 * Changes scripted by a test or a demo (`POST /__sim/errors/change`, `sim.changeError`): an error's status, severity
 * or assignment set as a collaborator would, timed `at` (default: now). The simulator's clock cannot be moved, so a
 * change is applied at once and `at` only says when it happened: never in the future, never before the error's last
 * change. Also a deletion (`POST /__sim/errors/delete`) and the truth of errors' histories.
 */
export interface ScriptedChange {
  status?: ErrorStatus;
  severity?: Severity;
  /** A member of the project, or null to unassign (a collaborator and a team are exclusive, as in Bugsnag). */
  assignedCollaboratorId?: string | null;
  assignedTeamId?: string | null;
  /** ISO time, or milliseconds since the epoch; default now. */
  at?: string | number;
}

/** A scripted change the simulator cannot make: an unknown error, collaborator or team, a time out of order. */
export class ScriptError extends Error {}

export interface ErrorRef {
  pd: ProjectData;
  e: number;
}

/** The error `errorId` (of `projectId`, when given), deleted ones included. */
export function findError(state: SimState, projectId: string | undefined, errorId: string): ErrorRef {
  const d = state.world.ids.decodeAs('error', errorId);
  if (!d || d.parent >= state.world.projects.length) throw new ScriptError(`unknown error ${errorId}`);
  const pd = state.project(d.parent);
  if (d.index >= pd.errorCount) throw new ScriptError(`unknown error ${errorId}`);
  if (projectId !== undefined && pd.project.id !== projectId)
    throw new ScriptError(`error ${errorId} is not in project ${projectId}`);
  return { pd, e: d.index };
}

export function findProject(state: SimState, projectId: string): ProjectData {
  const d = state.world.ids.decodeAs('project', projectId);
  if (!d || d.index >= state.world.projects.length) throw new ScriptError(`unknown project ${projectId}`);
  return state.project(d.index);
}

export function changeError(state: SimState, ref: ErrorRef, change: ScriptedChange, nowMs: number): ErrorTruth {
  const { pd, e } = ref;
  if (pd.isDeleted(e)) throw new ScriptError(`error ${pd.errorSeed(e).id} is deleted`);
  const atMs = timeOf(change.at, nowMs);
  if (change.status !== undefined && !(STATUSES as readonly string[]).includes(change.status))
    throw new ScriptError(`status must be one of ${STATUSES.join(', ')}`);
  const assignee =
    change.assignedCollaboratorId === undefined ? undefined : collaborator(pd, change.assignedCollaboratorId);
  const team = change.assignedTeamId === undefined ? undefined : teamOf(pd, change.assignedTeamId);
  state.truth.change(
    pd,
    e,
    atMs,
    'scripted',
    () => {
      const st = pd.state(e);
      if (change.status !== undefined) {
        st.status = change.status;
        // A snooze needs a rule; this one holds for ten more events, as the generated snoozes do.
        st.reopenRules =
          change.status === 'snoozed'
            ? {
                reopen_if: 'n_additional_occurrences',
                additional_occurrences: 10,
                occurrence_threshold: pd.totalOccurrences(e) + 10,
              }
            : null;
      }
      if (change.severity !== undefined)
        st.overriddenSeverity = change.severity === pd.errorSeed(e).severity ? null : change.severity;
      if (assignee !== undefined) {
        st.assignee = assignee;
        if (assignee >= 0) st.team = -1;
      }
      if (team !== undefined) {
        st.team = team;
        if (team >= 0) st.assignee = -1;
      }
      pd.touch();
    },
    true,
  );
  return state.truth.of(pd, e);
}

export function deleteError(
  state: SimState,
  ref: ErrorRef,
  at: string | number | undefined,
  nowMs: number,
): ErrorTruth {
  const { pd, e } = ref;
  if (pd.isDeleted(e)) throw new ScriptError(`error ${pd.errorSeed(e).id} is already deleted`);
  state.truth.change(pd, e, timeOf(at, nowMs), 'deleted', () => pd.markDeleted(e), true);
  return state.truth.of(pd, e);
}

/** Every error of the project (deleted ones included), or the one named. */
export function errorHistories(state: SimState, projectId: string, errorId?: string): ErrorTruth[] {
  if (errorId !== undefined) {
    const { pd, e } = findError(state, projectId, errorId);
    return [state.truth.of(pd, e)];
  }
  const pd = findProject(state, projectId);
  return Array.from({ length: pd.errorCount }, (_, e) => state.truth.of(pd, e));
}

function timeOf(at: string | number | undefined, nowMs: number): number {
  if (at === undefined) return nowMs;
  const ms = typeof at === 'number' ? at : parseTimestamp(at)?.getTime();
  if (ms === undefined || !Number.isFinite(ms)) throw new ScriptError(`at "${String(at)}" is not an ISO 8601 time`);
  if (ms > nowMs)
    throw new ScriptError(
      `at ${new Date(ms).toISOString()} is in the future: the simulator's clock cannot be moved, so changes are made now and dated at most now`,
    );
  return ms;
}

function collaborator(pd: ProjectData, id: string | null): number {
  if (id === null || id === '') return -1;
  const m = pd.world.projectMembers(pd.project.gi).find((x) => pd.world.users[x.user]!.id === id);
  if (!m) throw new ScriptError(`collaborator ${id} is not a member of project ${pd.project.id}`);
  return m.user;
}

function teamOf(pd: ProjectData, id: string | null): number {
  if (id === null || id === '') return -1;
  const t = pd.world.teams.findIndex((x) => x.id === id && x.org === pd.project.org);
  if (t < 0) throw new ScriptError(`team ${id} is not in the organization of project ${pd.project.id}`);
  return t;
}
