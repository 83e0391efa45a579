import { SnagError } from '../../core/errors.js';
import { SOURCE_CONFIG_KEYS } from '../../engine/index.js';
import { fieldProblems, type FieldProblem } from '../errors.js';

/**
 * The engine names a source's fields its own way (`credential`, `schedule`, `projects`); the API says
 * `data_credentials_id`, `poll_schedule`, `source_config.projects`, and the wizard has its own inputs. A SnagError
 * from the engine is re-labelled for the face that shows it, so an error lands on the field the user filled in.
 */

export type FieldMap = (engineField: string) => string;

const CONFIG_FIELDS = new Set(SOURCE_CONFIG_KEYS);

export const API_FIELDS: FieldMap = (f) => {
  if (f === 'credential') return 'data_credentials_id';
  if (f === 'schedule') return 'poll_schedule';
  return CONFIG_FIELDS.has(f) ? `source_config.${f}` : f;
};

export const FORM_FIELDS: FieldMap = (f) => {
  switch (f) {
    case 'credential':
      return 'credential_id';
    case 'exclude_projects':
      return 'projects';
    case 'stream':
      return 'test_stream';
    default:
      return f;
  }
};

/** The same error, its `details.field`/`fields` renamed. Errors without fields are returned as they are. */
export function relabel(err: SnagError, map: FieldMap): SnagError {
  const problems = fieldProblems(err);
  const names = Object.keys(problems);
  if (names.length === 0) return err;
  const renamed: Record<string, FieldProblem> = {};
  for (const n of names) renamed[map(n)] ??= problems[n]!;
  const field = typeof err.details.field === 'string' ? map(err.details.field) : map(names[0]!);
  return new SnagError(err.code, err.message, {
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.serverHint ? { serverHint: err.serverHint } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
    details: { ...err.details, field, fields: renamed },
    cause: err,
  });
}
