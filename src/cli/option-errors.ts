import { isSnagError, SnagError } from '../core/errors.js';

/**
 * Services name the field an input error is about (`details.field`, and `details.fields` for every problem at once);
 * on the command line the error should name the option the user typed. `option(field)` gives the option for a
 * field, or null for one that has none (the token, read from stdin or a prompt) — then `label(field)` names it.
 */
export function namingOptions(
  err: unknown,
  option: (field: string) => string | null,
  label: (field: string) => string = (field) => field,
): unknown {
  if (!isSnagError(err) || err.code !== 'config' || typeof err.details.field !== 'string') return err;
  const main = err.details.field;
  const prefix = (field: string) => {
    const o = option(field);
    return o === null ? '' : `--${o}: `;
  };
  const fields = err.details.fields;
  const others =
    fields !== null && typeof fields === 'object'
      ? Object.entries(fields as Record<string, { message?: string } | undefined>)
          .filter(([k]) => k !== main)
          .map(([k, e]) => `Also ${prefix(k) || `${label(k)}: `}${e?.message ?? ''}`)
      : [];
  const hint = [err.hint, ...others].filter(Boolean).join('\n');
  // A service's message may start with the field ("concurrency: Give a whole number…"): the option replaces it.
  const message =
    prefix(main) && err.message.startsWith(`${main}: `) ? err.message.slice(main.length + 2) : err.message;
  return new SnagError('config', `${prefix(main)}${message}`, {
    ...(hint ? { hint } : {}),
    details: err.details,
    cause: err,
  });
}
