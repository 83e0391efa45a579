import type { FastifyReply, FastifyRequest } from 'fastify';
import { wantsJson } from '../auth.js';
import { fieldProblems, httpStatusOf, serverHintOf, type FieldProblem } from '../errors.js';
import type { FormState } from '../components/form.js';
import type { SnagError } from '../../core/errors.js';
import { pushFlash } from '../sessions.js';
import { layout, pageContext, type LayoutOptions, type PageContext } from './layout.js';

/**
 * How page routes answer. One handler serves three callers:
 *  - a normal navigation or form POST (no JS): a full page, or a 303 redirect after a successful POST;
 *  - app.js opening an overlay (`X-Snagsync-Fragment: 1`): only the page's content, to put in the dialog;
 *  - app.js submitting a form by fetch (`Accept: application/json`): a `FormResult` as JSON, which app.js applies
 *    (inline errors on the fields, or the new tile, or a redirect) without reloading.
 */

export const FRAGMENT_HEADER = 'x-snagsync-fragment';

export function isFragment(request: FastifyRequest): boolean {
  return request.headers[FRAGMENT_HEADER] === '1';
}

export interface PageSpec extends Omit<LayoutOptions, 'body'> {
  body: (ctx: PageContext) => LayoutOptions['body'];
  status?: number;
}

export function sendPage(request: FastifyRequest, reply: FastifyReply, spec: PageSpec): FastifyReply {
  const ctx = pageContext(request);
  const body = spec.body(ctx);
  reply
    .code(spec.status ?? 200)
    .type('text/html; charset=utf-8')
    .header('vary', 'Accept, X-Snagsync-Fragment');
  return reply.send(isFragment(request) ? body.value : layout(ctx, { ...spec, body }).value);
}

/** What app.js gets back from a form it submitted by fetch. */
export type FormResult =
  | {
      ok: true;
      /** Announced in the live region (and shown as a flash after a redirect). */
      message?: string;
      /**
       * How the message is shown: a failed Test is an answer (ok) that reports a failure; `info` is news that is
       * neither (a cancel asked for, not done yet). Default success.
       */
      messageKind?: 'success' | 'error' | 'info';
      /** Go there (a full navigation). */
      redirect?: string;
      /** Tile markup to insert (before the Add tile) or to put in place of the tile with the same id. */
      tile?: { id: string; html: string };
      /** The id of a tile to take away. */
      removeTile?: string;
      /** Keep the overlay open (e.g. a test result shown in it). */
      keepOpen?: boolean;
      /** Markup to put in place: the inside of the element with this id (`inner`, default) or the element itself. */
      panels?: Array<{ id: string; html: string; replace?: 'inner' | 'outer' }>;
      /** The id of the element to focus afterwards. */
      focus?: string;
      /** Present: the form's field errors are replaced by these (none: every earlier error is cleared). */
      fields?: Record<string, FieldProblem>;
    }
  | {
      ok: false;
      error: string;
      /** field → {message, hint}. */
      fields: Record<string, FieldProblem>;
      formError: FieldProblem | null;
      /** Fields whose value app.js empties (a rejected token). */
      clear: string[];
    };

export function sendFormResult(reply: FastifyReply, status: number, result: FormResult): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(result);
}

export function isFetch(request: FastifyRequest): boolean {
  return wantsJson(request);
}

/**
 * A failed form submission's state: every field problem the error carries, on the form's own fields, and whatever
 * cannot be placed on one of them as the form error. `values` are what to re-render (never a secret).
 */
export function failedForm(
  err: SnagError,
  values: Record<string, string | undefined>,
  formFields: readonly string[],
): FormState & { status: number } {
  const problems = fieldProblems(err);
  const errors: Record<string, FieldProblem> = {};
  for (const [k, v] of Object.entries(problems)) if (formFields.includes(k)) errors[k] = v;
  const placed = Object.keys(errors).length > 0;
  const formError: FieldProblem | null = placed
    ? null
    : serverHintOf(err)
      ? { message: err.message, hint: serverHintOf(err) as string }
      : { message: err.message };
  return { values, errors, formError, status: httpStatusOf(err) };
}

export function formFailureResult(err: SnagError, state: FormState, clear: string[]): FormResult {
  const fields: Record<string, FieldProblem> = {};
  for (const [k, v] of Object.entries(state.errors)) if (v) fields[k] = v;
  return { ok: false, error: err.code, fields, formError: state.formError ?? null, clear };
}

/** After a successful POST without JS: a flash message and a 303 to a page (post/redirect/get). */
export function redirectWithFlash(
  request: FastifyRequest,
  reply: FastifyReply,
  to: string,
  message?: string,
): FastifyReply {
  if (message && request.auth.kind === 'session') pushFlash(request.auth.session, 'success', message);
  return reply.redirect(to, 303);
}

/** A fetch whose answer is "go there": the message is kept as a flash, so the next page shows it. */
export function redirectByFetch(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  to: string,
  message?: string,
): FastifyReply {
  if (message && request.auth.kind === 'session') pushFlash(request.auth.session, 'success', message);
  return sendFormResult(reply, status, { ok: true, redirect: to, ...(message ? { message } : {}) });
}
