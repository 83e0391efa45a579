import type { ErrorStatus } from './errors.js';
import type { ProjectData, ReopenRules } from './project.js';

/** Why an error was reopened by an incoming event: the status it left and the snooze rule that fired, if any. */
export interface Reopening {
  from: ErrorStatus;
  rule: ReopenRules | null;
}

/**
 * What Bugsnag does when an event arrives for an error that is not open: a fixed error reopens at once; a snoozed
 * one reopens when its snooze rule is met (counting the arriving event); an ignored one stays ignored. Call it before
 * the event is added. `n_additional_users` cannot be judged (the simulator does not track users per event at run
 * time), so such a snooze holds.
 */
export function reopenOnEvent(pd: ProjectData, e: number, nowMs: number): Reopening | null {
  const peek = pd.peekState(e);
  if (peek.status !== 'fixed' && !(peek.status === 'snoozed' && snoozeOver(pd, e, peek.reopenRules, nowMs)))
    return null;
  const st = pd.state(e);
  const out: Reopening = { from: st.status, rule: st.reopenRules };
  st.status = 'open';
  st.reopenRules = null;
  pd.touch();
  return out;
}

function snoozeOver(pd: ProjectData, e: number, rules: ReopenRules | null, nowMs: number): boolean {
  if (!rules) return true;
  switch (rules.reopen_if) {
    case 'n_additional_occurrences':
      return pd.totalOccurrences(e) + 1 >= Number(rules.occurrence_threshold);
    case 'occurs_after':
      return Date.parse(String(rules.reopen_after)) <= nowMs;
    case 'n_occurrences_in_m_hours': {
      const since = pd.indexAt(Math.floor(nowMs / 1000) - Number(rules.hours) * 3600);
      const inWindow = pd.totalOccurrences(e) - pd.occurrencesBelow(e, since);
      return inWindow + 1 >= Number(rules.occurrences);
    }
    default:
      return false;
  }
}
