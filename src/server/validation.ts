import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { SnagError } from '../core/errors.js';
import { problemsError, problemsOf, type Problem } from '../engine/index.js';

/**
 * Route schema failures (fastify-type-provider-zod) in the API's error shape: every problem at once, each on its
 * field (`source_config.streams`, `credentials.extra`, `limit`), with the message and hint the engine gives. Messages
 * never quote the value sent, so a token in a body that fails validation is never reflected.
 */

/** Nested objects whose keys are fields of their own. */
const CONTAINERS = ['source_config', 'credentials'];

interface ValidationItem {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Nested objects whose every level is named in the field (`data_sink_config.input.data_source_id`). */
const DEEP = ['data_sink_config'];

/** Back from the type provider's Fastify-shaped errors to zod's issues. */
function issuesOf(validation: readonly ValidationItem[]): z.core.$ZodIssue[] {
  return validation.map((v) => {
    const parts = v.instancePath
      .split('/')
      .slice(1)
      .filter((p) => p !== '');
    // One path element with dots: the field keeps its whole path.
    const path = parts.length > 1 && DEEP.includes(parts[0]!) ? [parts.join('.')] : parts;
    return { ...(v.params ?? {}), code: v.keyword, path, message: v.message ?? '' } as unknown as z.core.$ZodIssue;
  });
}

const isValidationList = (v: unknown): v is ValidationItem[] =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((x) => x !== null && typeof x === 'object' && typeof (x as ValidationItem).instancePath === 'string');

/** The problems of a failed route schema, by field; an empty object when there were none. */
export function validationProblems(error: unknown): Record<string, Problem> {
  const validation = (error as { validation?: unknown } | null)?.validation;
  return isValidationList(validation) ? problemsOf(issuesOf(validation), CONTAINERS) : {};
}

/** The SnagError for a failed route schema (a body that is not an object gets its own message). */
export function validationError(error: unknown, context?: string): SnagError | null {
  const problems = validationProblems(error);
  if (problems.body && Object.keys(problems).length === 1 && (context === undefined || context === 'body')) {
    return new SnagError('config', 'The request body must be a JSON object.', {
      hint: 'Send a JSON object with the fields the API describes at /api/openapi.json.',
      details: { field: 'body' },
    });
  }
  return problemsError(problems);
}

/** What `attachValidation` left on the request, as problems (routes that add their own checks before answering). */
export function attachedProblems(request: FastifyRequest): Record<string, Problem> {
  return request.validationError ? validationProblems(request.validationError) : {};
}
