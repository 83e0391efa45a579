import { SnagError } from '../core/errors.js';

export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 1000;

// Cc = C0/C1 controls; U+2028/2029 break lines in terminals and logs just like \n; the bidirectional controls
// (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) reorder the text around them, so `abc\u202edef` shows as
// "abcfed" in a table or tile: a name that spoofs another.
const CONTROL = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

export type NamedThing = 'credential' | 'source' | 'destination';

/**
 * The one rule for credential and source names (CLI, API and store all call this): trimmed, 1–100 characters,
 * no control characters. Returns the trimmed name. Length counts characters as people see them (code points).
 */
export function validateName(raw: unknown, what: NamedThing = 'credential'): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw invalid(
      what,
      'name',
      `A ${what} name is required.`,
      `Give the ${what} a name of 1 to ${NAME_MAX} characters.`,
    );
  }
  const name = raw.trim();
  const length = [...name].length;
  if (length > NAME_MAX) {
    throw invalid(
      what,
      'name',
      `The ${what} name is ${length} characters long; at most ${NAME_MAX} are allowed.`,
      'Choose a shorter name.',
    );
  }
  if (CONTROL.test(name)) {
    throw invalid(
      what,
      'name',
      `The ${what} name contains a control character (such as a newline, a tab or a text-direction override).`,
      'Use printable characters only.',
    );
  }
  return name;
}

/** Optional description: trimmed, at most 1000 characters; line breaks and tabs allowed. Empty → null. */
export function validateDescription(raw: unknown, what: NamedThing = 'credential'): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string')
    throw invalid(what, 'description', `The ${what} description must be text.`, 'Give a short text.');
  const text = raw.trim();
  if (text === '') return null;
  const length = [...text].length;
  if (length > DESCRIPTION_MAX) {
    throw invalid(
      what,
      'description',
      `The ${what} description is ${length} characters long; at most ${DESCRIPTION_MAX} are allowed.`,
      'Shorten it: say what it is for and how fresh the data should be.',
    );
  }
  // A description may span lines; other controls (escape sequences, NUL…) could corrupt a terminal.
  if (CONTROL.test(text.replace(/[\n\t\r]/g, ' '))) {
    throw invalid(
      what,
      'description',
      `The ${what} description contains a control character.`,
      'Use printable characters, line breaks and tabs only.',
    );
  }
  return text;
}

/**
 * The key names are unique by. SQLite's NOCASE only folds ASCII, so uniqueness is enforced on this folded form
 * (Unicode-aware, NFC-normalised) — `Équipe` and `ÉQUIPE` collide, as people expect.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

function invalid(what: NamedThing, field: string, message: string, hint: string): SnagError {
  return new SnagError('config', message, { hint, details: { field, entity: what } });
}
