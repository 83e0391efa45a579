/**
 * Runs store a failure with both faces' advice: `hint` for the CLI and, when that names a CLI command,
 * `server_hint` for the HTTP API and the web UI (see `errorJson`). Everything the server shows of a run — its view,
 * its progress events, its live page — goes through here, so the API and the pages never advise a CLI command and
 * never show `server_hint` as a field of its own.
 */

interface WithAdvice {
  hint?: string;
  server_hint?: string;
}

/** The failure with the server's advice as its `hint`. */
export function withServerAdvice<T extends WithAdvice>(error: T): T {
  if (!('server_hint' in error)) return error;
  const { server_hint, ...rest } = error;
  return (server_hint ? { ...rest, hint: server_hint } : rest) as T;
}

/** Any value (a progress event, a summary) with every failure in it given the server's advice. */
export function serverAdvice<T>(value: T): T {
  if (Array.isArray(value)) return value.map(serverAdvice) as T;
  if (value === null || typeof value !== 'object') return value;
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const mapped = serverAdvice(v);
    if (mapped !== v) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = mapped;
    }
  }
  const base = (out ?? value) as Record<string, unknown>;
  return ('server_hint' in base ? withServerAdvice(base as WithAdvice) : base) as T;
}
