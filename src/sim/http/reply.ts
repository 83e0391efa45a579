/** What a route handler answers; the server turns it into an HTTP response (and applies faults, headers, stats). */
export interface Reply {
  status: number;
  /** JSON body; undefined for bodiless answers (204). */
  body?: unknown;
  headers?: Record<string, string>;
}

export const json = (body: unknown, headers?: Record<string, string>, status = 200): Reply => ({
  status,
  body,
  headers,
});

/** Bugsnag's usual error envelope. */
export const apiError = (status: number, ...messages: string[]): Reply => ({ status, body: { errors: messages } });

export const notFound = (what: string): Reply => apiError(404, `${what} not found`);

/** What Rails answers for a path it does not route at all (a different envelope from the API's own 404s). */
export const unrouted = (): Reply => ({ status: 404, body: { status: 404, error: 'Not Found' } });

export const noContent = (): Reply => ({ status: 204 });

/** Thrown from deep inside a handler to answer early (validation errors). */
export class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

export function fail(status: number, ...messages: string[]): never {
  throw new ReplyError(apiError(status, ...messages));
}
