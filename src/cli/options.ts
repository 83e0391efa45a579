import { SnagError } from '../core/errors.js';

/** A repeatable option whose values may also be comma-separated (`--stream a,b --stream c`), as commander's parser. */
export const commaList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/**
 * The one parser for numeric option values (`--limit 20`, `--port 0`, `--events 2000`). A bad value is invalid input
 * (exit 3, like a bad --start-date or a bad value in a config file); exit 2 is kept for a malformed command line
 * (unknown command or option, missing value). The message names the option, the range and what was typed.
 */
export function numberOption(
  option: string,
  raw: string | number | undefined,
  range: { min: number; max?: number; unit?: string },
): number {
  const text = String(raw ?? '').trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (Number.isSafeInteger(n) && n >= range.min && n <= max) return n;
  const unit = range.unit ? ` (${range.unit})` : '';
  const wanted =
    range.max === undefined
      ? `a whole number of at least ${range.min}${unit}`
      : `a whole number from ${range.min} to ${range.max}${unit}`;
  return invalidOption(option, text, `must be ${wanted}`);
}

/** An option value refused by its own rule (a number, a duration): exit 3, naming the option and what was typed. */
export function invalidOption(option: string, text: string, must: string, hint?: string): never {
  throw new SnagError('config', `--${option} ${must} (got "${clipped(text)}").`, {
    ...(hint ? { hint } : {}),
    details: { field: option },
  });
}

function clipped(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
