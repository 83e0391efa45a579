import { isSnagError, SnagError } from '../../core/errors.js';
import { parseDestinationUrl } from '../../destinations/url.js';
import { parseFilterArgs, validateDuration, validateFilters, validateIds, validateStartDate, validateStreams, type StoredFilters } from '../../engine/config.js';
import { isNoSchedule, parseSchedule } from '../../engine/schedule.js';
import type { SourceInput } from '../../engine/index.js';
import { validateDescription, validateName } from '../../store/names.js';
import type { FieldProblem } from '../errors.js';

/**
 * Checks every field of a source's input at once, with the engine's own validators (the same messages as the CLI),
 * so that a form or an API client learns about all its mistakes in one answer rather than one per attempt. The
 * engine's `createSource`/`updateSource` check again when saving; this only collects. Field names are the engine's
 * (`credential`, `schedule`, `streams`…); each face renames them for its own inputs (fields.ts).
 */

export type EngineField =
  | 'name'
  | 'description'
  | 'credential'
  | 'organizations'
  | 'projects'
  | 'exclude_projects'
  | 'streams'
  | 'start_date'
  | 'full_reports'
  | 'filters'
  | 'lookback'
  | 'errors_full_pass_interval'
  | 'releases_full_pass_interval'
  | 'destination'
  | 'schedule'
  | 'status'
  | 'stream';

export function sourceProblems(input: SourceInput, description: unknown, options: { creating: boolean; cwd: string }): Partial<Record<EngineField, FieldProblem>> {
  const problems: Partial<Record<EngineField, FieldProblem>> = {};
  const check = (field: EngineField, fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!isSnagError(err)) throw err;
      problems[field] = err.hint ? { message: err.message, hint: err.hint } : { message: err.message };
    }
  };
  if (options.creating || input.name !== undefined) check('name', () => validateName(input.name, 'source'));
  if (description !== undefined) check('description', () => validateDescription(description, 'source'));
  if (options.creating && !input.credential?.trim()) {
    problems.credential = { message: 'A source needs a credential.', hint: 'Pick one of the credentials, or add one.' };
  }
  if (input.streams) check('streams', () => validateStreams(input.streams!.flatMap((s) => s.split(','))));
  if (input.projects) check('projects', () => validateIds(input.projects!, 'projects'));
  if (input.exclude_projects) check('exclude_projects', () => validateIds(input.exclude_projects!, 'exclude_projects'));
  if (typeof input.start_date === 'string' && input.start_date.trim() !== '') check('start_date', () => validateStartDate(input.start_date!));
  if (input.filters !== undefined) {
    check('filters', () => (Array.isArray(input.filters) ? parseFilterArgs(input.filters) : validateFilters(input.filters as StoredFilters)));
  }
  for (const k of ['lookback', 'errors_full_pass_interval', 'releases_full_pass_interval'] as const) {
    const v = input[k];
    if (typeof v === 'string') check(k, () => validateDuration(v, k));
  }
  if (input.destination !== undefined) {
    check('destination', () => parseDestinationUrl(input.destination!, { cwd: options.cwd }));
  }
  if (typeof input.schedule === 'string' && !isNoSchedule(input.schedule)) check('schedule', () => parseSchedule(input.schedule!));
  return problems;
}

/** A config error carrying every problem (`details.fields`), the first one as the message. */
export function problemsError<F extends string>(problems: Partial<Record<F, FieldProblem>>): SnagError | null {
  const names = Object.keys(problems) as F[];
  const first = names[0];
  if (first === undefined) return null;
  const p = problems[first]!;
  return new SnagError('config', p.message, { ...(p.hint ? { hint: p.hint } : {}), details: { field: first, fields: problems } });
}
