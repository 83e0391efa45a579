/**
 * Each face gives its own advice: the CLI's hints name its commands and flags, the HTTP API and the web UI never do.
 * Errors carry both when they differ (`hint` for the CLI, `serverHint`/`server_hint` for the server, see
 * `errorJson`); everything the server shows of a failure goes through here or through `serverHintOf` (errors.ts).
 *
 * `webAdvice` is the net under it: a hint with no server wording that still names a CLI command (a hint written for
 * the CLI in a module the server passes errors through) loses the parenthesis or the sentence that names it, so
 * what is left is still true ("Streams: errors, events (see `snagsync streams`)." → "Streams: errors, events.").
 */

/** The CLI's top-level commands (src/cli/commands) and its long options, as a hint would name them. */
export const CLI_ADVICE =
  /\bsnagsync (?:airbyte|credentials|demo|destinations|runs|schedule|serve|sim|singer|sources|store|streams|sync|worker|writeback)\b|(?:^|[\s(`'"=])--[a-z][a-z-]*/;

/** A hint for the HTTP API or the web UI: without anything that advises a CLI command (undefined when nothing is left). */
export function webAdvice(hint: string | undefined): string | undefined {
  if (!hint || !CLI_ADVICE.test(hint)) return hint;
  const withoutAsides = hint.replace(/\s*\([^()]*\)/g, (aside) => (CLI_ADVICE.test(aside) ? '' : aside));
  const kept = withoutAsides
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => !CLI_ADVICE.test(sentence))
    .join(' ')
    .trim();
  return kept === '' ? undefined : kept;
}

interface WithAdvice {
  hint?: string;
  server_hint?: string;
}

/** The failure with the server's advice as its `hint`. */
export function withServerAdvice<T extends WithAdvice>(error: T): T {
  if (!('server_hint' in error)) {
    if (typeof error.hint !== 'string') return error;
    const hint = webAdvice(error.hint);
    if (hint === error.hint) return error;
    const { hint: _cli, ...rest } = error;
    return (hint ? { ...rest, hint } : rest) as T;
  }
  const { server_hint, ...rest } = error;
  const hint = webAdvice(server_hint ?? rest.hint);
  const { hint: _cli, ...bare } = rest;
  return (hint ? { ...bare, hint } : bare) as T;
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
  return ('server_hint' in base || typeof base.hint === 'string' ? withServerAdvice(base as WithAdvice) : base) as T;
}
