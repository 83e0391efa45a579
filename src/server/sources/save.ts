import { isSnagError, SnagError } from '../../core/errors.js';
import {
  createSource,
  problemsError,
  sourceInputProblems,
  updateSource,
  type SourceInput,
  type SourceResult,
} from '../../engine/index.js';
import type { Runtime } from '../../runtime.js';
import type { Source } from '../../store/models.js';
import { validateDescription, validateName } from '../../store/names.js';
import { serverHintOf, type FieldProblem } from '../errors.js';

/**
 * Saving a source from the server's faces (API and wizard) through the engine's source service. Adds what the
 * server offers on top: every field checked at once, an unknown credential reported on its field (a 400 to fix the
 * input, not a 404 for the URL), a description (kept in the source's config, which the store keeps as it is), and
 * relative destination paths taken from the snagsync home (the server's working directory means nothing to a user
 * of the web UI).
 */

export interface SourceRequest {
  input: SourceInput;
  /** undefined: unchanged; null or '': none. */
  description?: string | null;
}

/**
 * Every problem of a request at once: the source configuration's own (its one declaration, source-config.ts), and
 * what the server adds (a name, a description). Field names are the engine's; each face relabels them (fields.ts).
 */
function requestProblems(req: SourceRequest, creating: boolean): Record<string, FieldProblem> {
  const problems: Record<string, FieldProblem> = {};
  const check = (field: string, fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!isSnagError(err, 'config')) throw err;
      const hint = serverHintOf(err);
      problems[field] = hint ? { message: err.message, hint } : { message: err.message };
    }
  };
  if (creating || req.input.name !== undefined) check('name', () => validateName(req.input.name, 'source'));
  if (req.description !== undefined) check('description', () => validateDescription(req.description, 'source'));
  if (creating && !req.input.credential?.trim())
    problems.credential = { message: 'A source needs a credential.', hint: 'Pick one of the credentials, or add one.' };
  return { ...problems, ...sourceInputProblems(req.input) };
}

/** `extra`: problems the caller found already (the API's route schema), reported together with the values' own. */
export async function createSourceFrom(
  runtime: Runtime,
  req: SourceRequest,
  extra: Record<string, FieldProblem> = {},
): Promise<SourceResult> {
  const problems: Record<string, FieldProblem> = { ...requestProblems(req, true), ...extra };
  if (!problems.credential && req.input.credential) {
    const known = await credentialExists(runtime, req.input.credential);
    if (!known) problems.credential = unknownCredential(req.input.credential);
  }
  const err = problemsError(problems);
  if (err) throw err;
  const result = await createSource(runtime, req.input, { cwd: runtime.home });
  const description = validateDescription(req.description ?? null, 'source');
  if (description === null) return result;
  return {
    ...result,
    source: await runtime.store.sources.update(result.source.id, { config: { ...result.source.config, description } }),
  };
}

export async function updateSourceFrom(
  runtime: Runtime,
  ref: string,
  req: SourceRequest,
  extra: Record<string, FieldProblem> = {},
): Promise<SourceResult> {
  const current = await runtime.store.sources.findByNameOrId(ref);
  const problems: Record<string, FieldProblem> = { ...requestProblems(req, false), ...extra };
  if (!problems.credential && req.input.credential !== undefined) {
    const known = req.input.credential.trim() !== '' && (await credentialExists(runtime, req.input.credential));
    if (!known) problems.credential = unknownCredential(req.input.credential);
  }
  const err = problemsError(problems);
  if (err) throw err;
  const result = await updateSource(runtime, current.id, req.input, { cwd: runtime.home });
  if (req.description === undefined) return result;
  const description = validateDescription(req.description, 'source');
  const { description: _old, ...config } = result.source.config;
  return {
    ...result,
    source: await runtime.store.sources.update(current.id, {
      config: description === null ? config : { ...config, description },
    }),
  };
}

/** The description a source was given (kept in its config). */
export function descriptionOf(source: Source): string | null {
  const d = source.config.description;
  return typeof d === 'string' && d !== '' ? d : null;
}

async function credentialExists(runtime: Runtime, ref: string): Promise<boolean> {
  try {
    await runtime.store.credentials.findByNameOrId(ref.trim());
    return true;
  } catch (err) {
    if (isSnagError(err, 'missing')) return false;
    throw err;
  }
}

function unknownCredential(ref: string) {
  return {
    message: `There is no credential "${ref}".`,
    hint: 'Give the id (cred_…) or the name of a credential; GET /api/data_credentials lists them.',
  };
}

/** Starting a run refused because of the source's state (disabled, no credential): a conflict with its state, not bad input. */
export function asStateConflict(err: unknown): unknown {
  if (isSnagError(err, 'config') && (err.details.field === 'status' || err.details.field === 'credential')) {
    return new SnagError('conflict', err.message, {
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err.serverHint ? { serverHint: err.serverHint } : {}),
      details: { field: 'status' },
      cause: err,
    });
  }
  return err;
}
