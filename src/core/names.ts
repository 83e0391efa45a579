import { SnagError } from './errors.js';

/**
 * The one rule for the names of credentials, sources and destinations (CLI, HTTP API, web UI and store all call
 * `validateName`), and the one normal form names are compared and looked up in (`normalizeName`, `nameKey`).
 *
 * A name is shown on a tile, in a table, in a log line, and picked by typing it: two names that look the same must be
 * the same name. So a name is NFC-normalised (a precomposed `é` and `e` + U+0301 are one name), trimmed, 1–100
 * characters, and refuses every character that shows nothing or rearranges what is around it:
 * - controls (Cc), line and paragraph separators, lone surrogates and noncharacters;
 * - format characters (Cf): zero-width space U+200B, byte order mark U+FEFF, soft hyphen U+00AD, word joiner U+2060,
 *   Mongolian vowel separator U+180E, the bidirectional controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069),
 *   tag characters (U+E0000–U+E007F)…;
 * - every other default-ignorable code point (Unicode's list of what renders as nothing): Hangul fillers (U+115F,
 *   U+1160, U+3164, U+FFA0), the combining grapheme joiner U+034F, Khmer inherent vowels U+17B4/U+17B5, variation
 *   selectors…; and the blank braille pattern U+2800.
 * A few of those are what makes visible text in context, and are accepted there only:
 * - U+200D (zero width joiner) between two emoji (woman U+200D laptop: a woman technologist), and U+200C/U+200D
 *   between two letters of a script where they change the shaping (Arabic, Indic scripts…);
 * - a variation selector right after a character it can vary (U+2764 U+FE0F: a red heart; a keycap; a CJK ideograph
 *   with an ideographic variation selector); alone, at the start or after a Latin letter, it shows nothing;
 * - tag characters in the three flag emoji that use them (England, Scotland, Wales).
 * Letters with accents, CJK, emoji, ordinary spaces and punctuation are all fine.
 */

export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 1000;

export type NamedThing = 'credential' | 'source' | 'destination';

/** The form a name is stored and compared in (before the rule's checks): NFC, trimmed. Lookups use it too. */
export function normalizeName(raw: string): string {
  return raw.normalize('NFC').trim();
}

/**
 * The key names are unique by and looked up by. SQLite's NOCASE only folds ASCII, so uniqueness is enforced on this
 * folded form (Unicode-aware, NFC-normalised) — `Équipe`, `ÉQUIPE` and a decomposed `E\u0301quipe` collide, as
 * people expect.
 */
export function nameKey(name: string): string {
  return normalizeName(name).toLowerCase();
}

/** Validates a name against the rule above; returns it normalised (NFC, trimmed). SnagError('config'), field `name`. */
export function validateName(raw: unknown, what: NamedThing = 'credential'): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw invalid(
      what,
      'name',
      `A ${what} name is required.`,
      `Give the ${what} a name of 1 to ${NAME_MAX} characters.`,
    );
  }
  const given = raw.normalize('NFC');
  const name = given.trim();
  const length = [...name].length;
  if (length > NAME_MAX) {
    throw invalid(
      what,
      'name',
      `The ${what} name is ${length} characters long; at most ${NAME_MAX} are allowed.`,
      'Choose a shorter name.',
    );
  }
  const found = findInvisible(name);
  if (found) {
    // Positions count characters of the name as given (leading spaces included), from 1.
    const position = [...given.slice(0, given.indexOf(name))].length + found.position;
    const char = describeCodePoint(found.codePoint);
    throw invalid(
      what,
      'name',
      `The ${what} name contains ${char} at position ${position}: ${kindOf(found.codePoint)}. Names must show every character they hold, or two names that look the same could name different ${what}s.`,
      'Type the name again without it (such characters come with text copied from web pages, chats or documents).',
      { code_point: hex(found.codePoint), position },
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
  // A description may span lines; other controls (escape sequences, NUL…) could corrupt a terminal, and the
  // bidirectional ones reorder the text around them.
  if (DESCRIPTION_CONTROL.test(text.replace(/[\n\t\r]/g, ' '))) {
    throw invalid(
      what,
      'description',
      `The ${what} description contains a control character.`,
      'Use printable characters, line breaks and tabs only.',
    );
  }
  return text;
}

const DESCRIPTION_CONTROL = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** The first character of `text` a name may not hold, with its position (counting code points from 1). */
export function findInvisible(text: string): { codePoint: number; position: number } | null {
  const cps = [...text].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (refused(cp) && !allowedInContext(cps, i)) return { codePoint: cp, position: i + 1 };
  }
  return null;
}

/** `U+200B (zero width space)`: the code point, and its Unicode name when it is one names are refused for. */
export function describeCodePoint(cp: number): string {
  const name = charName(cp);
  return name ? `${hex(cp)} (${name})` : hex(cp);
}

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

function refused(cp: number): boolean {
  if (cp >= 0xd800 && cp <= 0xdfff) return true; // a lone surrogate: not text at all
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return true; // noncharacters
  if (cp === 0x2800) return true; // braille pattern blank: a letter-sized nothing
  return INVISIBLE.test(String.fromCodePoint(cp));
}

function kindOf(cp: number): string {
  const c = String.fromCodePoint(cp);
  if (/\p{Cc}/u.test(c)) return 'a control character';
  if (/[\p{Zl}\p{Zp}]/u.test(c)) return 'a line break';
  if (BIDI.has(cp)) return 'a text-direction override, which reorders the text around it';
  return 'an invisible character';
}

const is = (re: RegExp) => (cp: number | undefined) => cp !== undefined && re.test(String.fromCodePoint(cp));
const isPictographic = is(/\p{Extended_Pictographic}/u);
const isEmoji = is(/\p{Emoji}/u);
const isEmojiModifier = is(/\p{Emoji_Modifier}/u);
const isLetterOrMark = is(/[\p{L}\p{M}]/u);
const isMongolianLetter = is(/(?=\p{scx=Mongolian})\p{L}/u);
/** Letters without case (CJK, Mongolian, Myanmar…) and mathematical symbols: what standardized and ideographic variation sequences vary. */
const isVariableBase = (cp: number | undefined) => cp !== undefined && cp > 0x7f && is(/[\p{Lo}\p{Sm}]/u)(cp);
// Scripts in which ZWJ/ZWNJ change how neighbouring letters are shaped (joining, conjuncts), so they show.
const JOINING_SCRIPTS = [
  'Arabic',
  'Syriac',
  'Nko',
  'Mongolian',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Khmer',
  'Myanmar',
].map((s) => new RegExp(`\\p{scx=${s}}`, 'u'));
const RGI_TAG_FLAGS = new Set(['gbeng', 'gbsct', 'gbwls']);
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
const isTag = (cp: number | undefined) => cp !== undefined && cp >= 0xe0020 && cp <= 0xe007f;

function allowedInContext(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const prev = cps[i - 1];
  const next = cps[i + 1];
  if (cp === 0x200d && emojiEndsAt(cps, i - 1) && isPictographic(next)) return true;
  if (cp === 0x200c || cp === 0x200d) return sameJoiningScript(prev, next);
  if (cp === 0xfe0e || cp === 0xfe0f) {
    // 0–9, # and * are emoji only as keycaps (1 U+FE0F U+20E3); `1` + U+FE0F alone shows as `1`.
    if (prev !== undefined && prev < 0x80) return isEmoji(prev) && next === 0x20e3;
    return isEmoji(prev) && !isEmojiModifier(prev);
  }
  if ((cp >= 0xfe00 && cp <= 0xfe0d) || (cp >= 0xe0100 && cp <= 0xe01ef)) return isVariableBase(prev);
  if ((cp >= 0x180b && cp <= 0x180d) || cp === 0x180f) return isMongolianLetter(prev);
  if (isTag(cp)) return inTagFlag(cps, i);
  return false;
}

/** An emoji ends at `j`: a pictograph, possibly followed by VS16 or a skin-tone modifier. */
function emojiEndsAt(cps: readonly number[], j: number): boolean {
  let k = j;
  while (k >= 0 && (cps[k] === 0xfe0f || isEmojiModifier(cps[k]))) k--;
  return k >= 0 && isPictographic(cps[k]);
}

function sameJoiningScript(prev: number | undefined, next: number | undefined): boolean {
  if (!isLetterOrMark(prev) || !isLetterOrMark(next)) return false;
  const a = String.fromCodePoint(prev!);
  const b = String.fromCodePoint(next!);
  return JOINING_SCRIPTS.some((re) => re.test(a) && re.test(b));
}

/** Is the tag character at `i` part of 🏴 + tags spelling gbeng/gbsct/gbwls + CANCEL TAG? */
function inTagFlag(cps: readonly number[], i: number): boolean {
  let start = i;
  while (isTag(cps[start - 1])) start--;
  if (cps[start - 1] !== BLACK_FLAG) return false;
  let end = i;
  while (isTag(cps[end + 1])) end++;
  if (cps[end] !== CANCEL_TAG) return false;
  const spelled = String.fromCodePoint(...cps.slice(start, end).map((t) => t - 0xe0000));
  return RGI_TAG_FLAGS.has(spelled);
}

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

const NAMES = new Map<number, string>([
  [0x0000, 'null'],
  [0x0009, 'character tabulation'],
  [0x000a, 'line feed'],
  [0x000b, 'line tabulation'],
  [0x000c, 'form feed'],
  [0x000d, 'carriage return'],
  [0x001b, 'escape'],
  [0x007f, 'delete'],
  [0x0085, 'next line'],
  [0x00ad, 'soft hyphen'],
  [0x034f, 'combining grapheme joiner'],
  [0x061c, 'arabic letter mark'],
  [0x115f, 'hangul choseong filler'],
  [0x1160, 'hangul jungseong filler'],
  [0x17b4, 'khmer vowel inherent aq'],
  [0x17b5, 'khmer vowel inherent aa'],
  [0x180b, 'mongolian free variation selector one'],
  [0x180c, 'mongolian free variation selector two'],
  [0x180d, 'mongolian free variation selector three'],
  [0x180e, 'mongolian vowel separator'],
  [0x180f, 'mongolian free variation selector four'],
  [0x200b, 'zero width space'],
  [0x200c, 'zero width non-joiner'],
  [0x200d, 'zero width joiner'],
  [0x200e, 'left-to-right mark'],
  [0x200f, 'right-to-left mark'],
  [0x2028, 'line separator'],
  [0x2029, 'paragraph separator'],
  [0x202a, 'left-to-right embedding'],
  [0x202b, 'right-to-left embedding'],
  [0x202c, 'pop directional formatting'],
  [0x202d, 'left-to-right override'],
  [0x202e, 'right-to-left override'],
  [0x2060, 'word joiner'],
  [0x2061, 'function application'],
  [0x2062, 'invisible times'],
  [0x2063, 'invisible separator'],
  [0x2064, 'invisible plus'],
  [0x2066, 'left-to-right isolate'],
  [0x2067, 'right-to-left isolate'],
  [0x2068, 'first strong isolate'],
  [0x2069, 'pop directional isolate'],
  [0x2800, 'braille pattern blank'],
  [0x3164, 'hangul filler'],
  [0xfeff, 'zero width no-break space, byte order mark'],
  [0xffa0, 'halfwidth hangul filler'],
  [0xfff9, 'interlinear annotation anchor'],
  [0xfffa, 'interlinear annotation separator'],
  [0xfffb, 'interlinear annotation terminator'],
  [0xe0001, 'language tag'],
  [0xe0020, 'tag space'],
  [0xe007f, 'cancel tag'],
]);

function charName(cp: number): string | undefined {
  const known = NAMES.get(cp);
  if (known) return known;
  if (cp <= 0x1f || (cp >= 0x80 && cp <= 0x9f)) return 'control character';
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `variation selector-${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `variation selector-${cp - 0xe0100 + 17}`;
  if (cp >= 0xe0021 && cp <= 0xe007e) {
    const c = String.fromCodePoint(cp - 0xe0000);
    const what = /[a-z]/.test(c)
      ? `latin small letter ${c}`
      : /[A-Z]/.test(c)
        ? `latin capital letter ${c.toLowerCase()}`
        : /[0-9]/.test(c)
          ? `digit ${c}`
          : `"${c}"`;
    return `tag ${what}`;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return 'lone surrogate';
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 'noncharacter';
  return undefined;
}

function invalid(
  what: NamedThing,
  field: string,
  message: string,
  hint: string,
  extra: Record<string, unknown> = {},
): SnagError {
  return new SnagError('config', message, { hint, details: { field, entity: what, ...extra } });
}
