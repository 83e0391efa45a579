import type { z } from 'zod';
import { SnagError } from '../core/errors.js';

/** Parses input at the store's edge; a zod failure becomes SnagError('config') naming the fields. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`);
  throw new SnagError('config', `Invalid ${what}: ${issues.join('; ')}.`, {
    hint: 'Check the values given.',
    details: { issues },
  });
}

/** Parses a row read back from the database; a failure means the file was edited or damaged, not bad user input. */
export function parseRow<S extends z.ZodType>(schema: S, row: unknown, what: string, location: string): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`);
  throw new SnagError('config', `A ${what} row in the metadata store ${location} is not valid: ${issues.join('; ')}.`, {
    hint: 'The file may have been edited by hand or damaged; restore it from a backup.',
    details: { issues },
  });
}

export function parseJsonColumn(text: string | null, column: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Left for the row schema to reject with the column name.
    return { invalid_json_in: column };
  }
}
