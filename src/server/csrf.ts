import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keysMatch } from './api-key.js';
import { HttpProblem } from './errors.js';

/**
 * CSRF protection for browser sessions (synchronizer token). Every state-changing request authenticated by the
 * session cookie must carry the session's token: `_csrf` in a form, or the `X-CSRF-Token` header in the JS file's
 * fetches (it reads the token from `<meta name="csrf-token">`). Requests with the API key carry no ambient
 * authority and are exempt. A request the browser labels cross-site is refused whatever it carries. Runs before
 * validation, once the body is parsed (the form token is in the body).
 */

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function registerCsrf(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (SAFE.has(request.method) || request.auth.kind !== 'session') return;
    // Public routes (the login form) carry their own pre-session token; a tab left open on /login must still work.
    if (request.routeOptions.config?.public === true) return;
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw new HttpProblem(403, 'csrf', 'Refused a request from another site.', 'Use the snagsync web UI itself.');
    }
    const given = csrfTokenOf(request);
    if (given === null || !keysMatch(given, request.auth.session.csrfToken)) {
      throw new HttpProblem(
        403,
        'csrf',
        'The form has expired or did not come from this page (missing or wrong CSRF token).',
        'Reload the page and try again.',
      );
    }
  });
}

function csrfTokenOf(request: FastifyRequest): string | null {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string' && header !== '') return header;
  const body = request.body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const v = (body as Record<string, unknown>)[CSRF_FIELD];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}
