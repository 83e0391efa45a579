import { z } from 'zod';
import { parseDuration, quoteExcerpt } from '../core/time.js';

/**
 * Builders for the source options a stream owns (`options` in its defineStream). One declaration gives every face
 * its part: the zod type judges the value (API, CLI, wizard, library), `description`/`default`/`title` go into the
 * JSON Schema (OpenAPI) and the wizard, and the CLI flag is kept in `cliOptions` — outside the JSON Schema, because
 * the HTTP API never names a CLI flag.
 *
 * Adding an option: declare it in its stream's `options` with one of these builders, then use it (resolve it into
 * `SyncOptions` in engine/config.ts and read it in the stream). Nothing else lists options.
 */

export interface OptionMeta {
  /** What it does, said for every face (ends without a period; the default is appended where shown). */
  description: string;
  /** Label in the wizard; without one the wizard leaves the option out. */
  title?: string;
  /** The CLI flag's name, without dashes (default: the key with `_` → `-`). */
  flag?: string;
  /** The value placeholder in `--help` (`<duration>`). */
  placeholder?: string;
  /** Documented default (an option left unset is not stored; the engine applies its default). */
  default?: string | number | boolean;
}

/** CLI flag metadata, per option schema (kept out of the JSON Schema). */
export const cliOptions = z.registry<{ flag?: string; placeholder?: string }>();

/** A zod issue's `params` carry the hint (what to do), read back by the faces with the message. */
export interface IssueParams {
  hint?: string;
}

function declare<T extends z.ZodType>(schema: T, meta: OptionMeta): z.ZodOptional<z.ZodNullable<T>> {
  const { flag, placeholder, ...json } = meta;
  const out = schema.nullable().optional().meta(json);
  cliOptions.add(out, { ...(flag ? { flag } : {}), ...(placeholder ? { placeholder } : {}) });
  return out;
}

/** A duration such as `15m`, `6h`, `1d` or `2w`. Null clears it (back to the default). */
export function durationOption(meta: OptionMeta) {
  const schema = z.string().superRefine((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${quoteExcerpt(value)} is not a duration.`,
        params: { hint: 'Write it as 15m, 1h, 1d or 2w.' } satisfies IssueParams,
      });
    }
  });
  return declare(schema, { placeholder: '<duration>', ...meta });
}

export function booleanOption(meta: OptionMeta) {
  return declare(z.boolean(), meta);
}

export function enumOption<const V extends readonly [string, ...string[]]>(values: V, meta: OptionMeta) {
  return declare(z.enum(values), { placeholder: `<${values.join('|')}>`, ...meta });
}

export function integerOption(min: number, max: number, meta: OptionMeta) {
  const schema = z
    .number({ error: `Give a whole number from ${min} to ${max}.` })
    .int({ error: `Give a whole number from ${min} to ${max}.` })
    .min(min, { error: `Give a whole number from ${min} to ${max}.` })
    .max(max, { error: `Give a whole number from ${min} to ${max}.` });
  return declare(schema, { placeholder: '<n>', ...meta });
}
