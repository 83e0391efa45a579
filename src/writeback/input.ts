import { readFileSync } from 'node:fs';
import { SnagError } from '../core/errors.js';
import { expandPath } from '../core/fs.js';
import { readPostgres } from './input-postgres.js';
import type { InputRead, QueryOptions, RawRow } from './input-query.js';
import { readSqlite } from './input-sqlite.js';

export type { RawRow } from './input-query.js';

export interface InputOptions extends QueryOptions {
  cwd?: string;
  /** Standard input, for `--from -` (the caller reads it): its bytes, checked as UTF-8 like a file's, or its text. */
  stdin?: () => Promise<string | Buffer>;
  /** How standard input is written, when the caller knows (an uploaded file's type); else guessed from its text. */
  format?: 'jsonl' | 'csv';
}

/**
 * Reads write-back rows from `from`: a `.jsonl`/`.ndjson` or `.csv` file, `-` (standard input, JSONL when the first
 * character is `{`, else CSV), `sqlite:PATH?query=SELECT …` (one read-only query on a synced SQLite destination), or
 * `postgres://USER@HOST/DB?schema=NAME&query=SELECT …` (the same on a synced PostgreSQL destination, in a read-only
 * transaction with the schema first on the search path). See input-sqlite.ts and input-postgres.ts for what keeps a
 * query from changing anything.
 */
export async function readInput(from: string, options: InputOptions = {}): Promise<InputRead> {
  const spec = from.trim();
  if (spec.startsWith('sqlite:')) return readSqlite(spec, options);
  if (/^postgres(ql)?:/i.test(spec)) return readPostgres(spec, options);
  let text: string;
  let kind: 'jsonl' | 'csv';
  if (spec === '-') {
    if (!options.stdin)
      throw new SnagError('usage', 'No standard input to read the rows from.', { details: { field: 'from' } });
    const got = await options.stdin();
    text = typeof got === 'string' ? got : got.toString('utf8');
    kind = options.format ?? (text.trimStart().startsWith('{') ? 'jsonl' : 'csv');
    if (typeof got !== 'string') requireUtf8(got, text, kind, 'standard input');
  } else {
    const path = expandPath(spec, options.cwd);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new SnagError(
        'config',
        `Cannot read the write-back input ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`,
        {
          hint: 'Give a .jsonl or .csv file, - for standard input, or sqlite:PATH?query=SELECT ….',
          details: { field: 'from' },
        },
      );
    }
    text = bytes.toString('utf8');
    if (/\.(jsonl|ndjson|json)$/i.test(path)) kind = 'jsonl';
    else if (/\.csv$/i.test(path)) kind = 'csv';
    else kind = text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    requireUtf8(bytes, text, kind, path);
  }
  return { rows: kind === 'jsonl' ? parseJsonl(text) : parseCsv(text), text, warnings: [] };
}

/**
 * A file that is not UTF-8 (Latin-1 from a spreadsheet, a stray byte in a comment) would be read with U+FFFD in place
 * of its bytes, and an id, a name or a comment sent to Bugsnag changed without a word: it is refused, naming the rows.
 */
function requireUtf8(bytes: Buffer, text: string, kind: 'jsonl' | 'csv', path: string): void {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return;
  } catch {
    // Located below.
  }
  const bad: Array<{ line: number; column: number; byte: number }> = [];
  let lineStart = 0;
  let line = 1;
  let at = 0;
  while (bad.length < 5) {
    const i = invalidUtf8At(bytes, at);
    if (i < 0) break;
    for (let k = lineStart; k < i; k++) {
      if (bytes[k] === 0x0a) {
        line++;
        lineStart = k + 1;
      }
    }
    bad.push({ line, column: i - lineStart + 1, byte: bytes[i]! });
    // The rest of this line is reported once.
    const nl = bytes.indexOf(0x0a, i);
    if (nl < 0) break;
    at = nl + 1;
  }
  const rowOf = kind === 'jsonl' ? (l: number) => l : csvRowOfLine(text);
  const problems = bad.map((b) => {
    const row = rowOf(b.line);
    const where = row === 0 ? `the header (line ${b.line})` : `row ${row} (line ${b.line})`;
    return {
      row,
      line: b.line,
      message: `${where}: byte 0x${b.byte.toString(16).toUpperCase().padStart(2, '0')} at column ${b.column} is not UTF-8`,
    };
  });
  throw new SnagError(
    'config',
    `The write-back input ${path} is not valid UTF-8; nothing was read:\n  ${problems.map((p) => p.message).join('\n  ')}`,
    {
      hint: 'Save the file as UTF-8 (a spreadsheet: export as "CSV UTF-8"; or convert it, e.g. iconv -f latin1 -t utf-8).',
      details: { field: 'from', lines: problems.map(({ row, line }) => ({ row, line })) },
    },
  );
}

/** The offset of the first byte at or after `from` that does not start a valid UTF-8 sequence, or -1. */
function invalidUtf8At(b: Uint8Array, from: number): number {
  let i = from;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    const next = b[i + 1]!;
    if (
      (c === 0xe0 && next < 0xa0) ||
      (c === 0xed && next >= 0xa0) ||
      (c === 0xf0 && next < 0x90) ||
      (c === 0xf4 && next >= 0x90)
    )
      return i;
    i += n + 1;
  }
  return -1;
}

export function parseJsonl(text: string): RawRow[] {
  const rows: RawRow[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const v: unknown = JSON.parse(line);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      rows.push({ row: i + 1, fields: v as Record<string, unknown> });
    } catch {
      problems.push(`line ${i + 1}: not a JSON object`);
    }
  });
  if (problems.length) {
    throw new SnagError('config', `The write-back input is not valid JSONL:\n  ${problems.join('\n  ')}`, {
      hint: 'Write one JSON object per line, e.g. {"project_id":"…","error_id":"…","operation":"fix"}.',
      details: { field: 'from', problems },
    });
  }
  return rows;
}

/** RFC 4180 CSV with a header line; empty cells are absent fields. Row numbers count data lines from 1. */
export function parseCsv(text: string): RawRow[] {
  const [header, ...data] = csvRecords(text);
  if (!header) return [];
  const names = header.cells.map((h) => h.trim().replace(/^\uFEFF/, ''));
  return data.map(({ cells }, i) => {
    const fields: Record<string, unknown> = {};
    names.forEach((n, k) => {
      const v = cells[k];
      if (v !== undefined && v !== '') fields[n] = v;
    });
    return { row: i + 1, fields };
  });
}

/** The CSV's records (blank lines left out), each with the line it starts on (a quoted cell may span lines). */
function csvRecords(text: string): Array<{ cells: string[]; line: number }> {
  const records: Array<{ cells: string[]; line: number }> = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let start = 1;
  const end = () => {
    record.push(field);
    if (!(record.length === 1 && record[0]!.trim() === '')) records.push({ cells: record, line: start });
    record = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      }
      end();
      start = line;
    } else field += c;
  }
  if (field !== '' || record.length) end();
  return records;
}

/** Which row a line of a CSV belongs to: 0 for the header, else the data row (from 1) that spans it. */
function csvRowOfLine(text: string): (line: number) => number {
  const starts = csvRecords(text).map((r) => r.line);
  return (line) => {
    let row = 0;
    for (let k = 0; k < starts.length && starts[k]! <= line; k++) row = k;
    return row;
  };
}
