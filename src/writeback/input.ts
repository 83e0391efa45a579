import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SnagError } from '../core/errors.js';
import { expandPath } from '../core/fs.js';

/** One input row as read, before any checking; `row` is its 1-based number (data line for CSV, line for JSONL). */
export interface RawRow {
  row: number;
  fields: Record<string, unknown>;
}

export interface InputOptions {
  cwd?: string;
  /** Standard input's text, for `--from -` (the caller reads it). */
  stdin?: () => Promise<string>;
  /** How standard input is written, when the caller knows (an uploaded file's type); else guessed from its text. */
  format?: 'jsonl' | 'csv';
}

/**
 * Reads write-back rows from `from`: a `.jsonl`/`.ndjson` or `.csv` file, `-` (standard input, JSONL when the first
 * character is `{`, else CSV), or `sqlite:PATH?query=SELECT …` (a read-only query on a synced SQLite destination).
 */
export async function readInput(from: string, options: InputOptions = {}): Promise<{ rows: RawRow[]; text: string }> {
  const spec = from.trim();
  if (spec.startsWith('sqlite:')) return readSqlite(spec, options.cwd);
  if (spec.startsWith('postgres:') || spec.startsWith('postgresql:')) {
    throw new SnagError('config', 'Reading write-back rows from PostgreSQL is not supported yet.', {
      hint: 'Export the rows to a JSONL or CSV file, or query a synced SQLite destination (sqlite:PATH?query=SELECT …).',
      details: { field: 'from' },
    });
  }
  let text: string;
  let kind: 'jsonl' | 'csv';
  if (spec === '-') {
    if (!options.stdin)
      throw new SnagError('usage', 'No standard input to read the rows from.', { details: { field: 'from' } });
    text = await options.stdin();
    kind = options.format ?? (text.trimStart().startsWith('{') ? 'jsonl' : 'csv');
  } else {
    const path = expandPath(spec, options.cwd);
    try {
      text = readFileSync(path, 'utf8');
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
    if (/\.(jsonl|ndjson|json)$/i.test(path)) kind = 'jsonl';
    else if (/\.csv$/i.test(path)) kind = 'csv';
    else kind = text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
  }
  return { rows: kind === 'jsonl' ? parseJsonl(text) : parseCsv(text), text };
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
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
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
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  const [header, ...data] = records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
  if (!header) return [];
  const names = header.map((h) => h.trim().replace(/^\uFEFF/, ''));
  return data.map((cells, i) => {
    const fields: Record<string, unknown> = {};
    names.forEach((n, k) => {
      const v = cells[k];
      if (v !== undefined && v !== '') fields[n] = v;
    });
    return { row: i + 1, fields };
  });
}

function readSqlite(spec: string, cwd?: string): { rows: RawRow[]; text: string } {
  const rest = spec.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  const q = rest.indexOf('?');
  // `?query=` takes the rest of the text: literal SQL when it has spaces (as typed in a shell), else URL-encoded.
  const raw = q >= 0 && rest.slice(q + 1).startsWith('query=') ? rest.slice(q + 1 + 'query='.length) : null;
  const query = raw === null ? null : /\s/.test(raw) ? raw : safeDecode(raw);
  const path = expandPath(safeDecode(q >= 0 ? rest.slice(0, q) : rest), cwd);
  if (!query || !/^\s*(select|with)\b/i.test(query)) {
    throw new SnagError('config', 'A SQLite input needs a SELECT query: sqlite:PATH?query=SELECT ….', {
      hint: "e.g. sqlite:./bugsnag.db?query=SELECT project_id, id AS error_id, 'fix' AS operation FROM errors WHERE …",
      details: { field: 'from' },
    });
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new SnagError('config', `Cannot open the SQLite database ${path}: ${(err as Error).message}.`, {
      hint: 'Give the path of a synced SQLite destination.',
      details: { field: 'from' },
    });
  }
  try {
    const rows = db.prepare(query).all() as Array<Record<string, unknown>>;
    return {
      rows: rows.map((fields, i) => ({ row: i + 1, fields: dropNulls(fields) })),
      text: `${path}\n${query}\n${JSON.stringify(rows)}`,
    };
  } catch (err) {
    throw new SnagError('config', `The write-back query failed: ${(err as Error).message}.`, {
      hint: 'Check the query against the destination (table and column names).',
      details: { field: 'from' },
    });
  } finally {
    db.close();
  }
}

function dropNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== ''));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
