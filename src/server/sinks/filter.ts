import { SnagError } from '../../core/errors.js';
import { errors } from '../../streams/errors.js';

/**
 * A destination's `filter` on a synced errors table, parsed rather than pasted into SQL: columns of the table,
 * comparisons, AND/OR/NOT, IN (…), IS [NOT] NULL, LIKE, BETWEEN, string/number/boolean literals and parentheses.
 * Every literal becomes a query parameter, so nothing the user wrote is ever read by the database as SQL: no `;`, no
 * comment, no function call, no subquery can get through (they are not in the grammar).
 */

export type FilterDialect = 'postgres' | 'sqlite';
export type FilterValue = string | number | boolean;

export interface CompiledFilter {
  /** The condition, with `$1…` (PostgreSQL) or `?` (SQLite) where the literals were. */
  sql: string;
  values: FilterValue[];
}

type ColumnType = 'text' | 'timestamp' | 'integer' | 'real' | 'boolean' | 'json';

/** The errors table's columns as the destinations create them (the stream's typed columns, and when a sync wrote the row). */
const COLUMNS: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ...errors.columns.map((c) => [c.name, c.type as ColumnType] as const),
  ['_synced_at', 'timestamp'],
]);

export const FILTER_COLUMNS: readonly string[] = [...COLUMNS.keys()];

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'like', 'between', 'true', 'false']);

type Token =
  | { kind: 'word'; word: string; at: number; text: string }
  | { kind: 'keyword'; word: string; at: number; text: string }
  | { kind: 'string'; value: string; at: number; text: string }
  | { kind: 'number'; value: number; at: number; text: string }
  | { kind: 'op'; op: string; at: number; text: string }
  | { kind: 'end'; at: number; text: string }
  | { kind: 'bad'; message: string; at: number; text: string };

class FilterProblem extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const HINT =
  "A filter compares the errors table's columns with strings and numbers (=, <>, <, <=, >, >=), joined by AND, OR, NOT and parentheses, with IN ('a', 'b'), IS [NOT] NULL, LIKE 'pattern' and BETWEEN x AND y; e.g. status = 'open' AND last_seen_unfiltered < '2026-06-01'. Functions, subqueries, comments and ; are not accepted.";

/**
 * Parses `text` and returns the SQL condition with parameters, or throws a SnagError (code config) on `field` that
 * says what is wrong and at which character (1-based) of the filter.
 */
export function compileFilter(text: string, dialect: FilterDialect, field = 'filter'): CompiledFilter {
  try {
    return new Parser(tokenize(text), dialect).parse();
  } catch (err) {
    if (!(err instanceof FilterProblem)) throw err;
    const position = err.at + 1;
    const before = text.slice(Math.max(0, err.at - 40), err.at);
    const after = text.slice(err.at, err.at + 40);
    const excerpt = `${err.at > 40 ? '…' : ''}${before}▸${after}${err.at + 40 < text.length ? '…' : ''}`;
    throw new SnagError('config', `${field}: ${err.message}, at position ${position}: ${excerpt}`, {
      hint: HINT,
      details: { field, position },
    });
  }
}

/**
 * The tokens of the filter; a character no token starts with ends the list with a `bad` token, reported when the
 * parser reaches it (so the first problem from the left is the one named).
 */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  try {
    readTokens(text, out);
  } catch (err) {
    if (!(err instanceof FilterProblem)) throw err;
    out.push({ kind: 'bad', message: err.message, at: err.at, text: '' });
  }
  return out;
}

function readTokens(text: string, out: Token[]): void {
  let i = 0;
  const valueBefore = () => {
    const t = out[out.length - 1];
    return t !== undefined && (t.kind === 'word' || t.kind === 'string' || t.kind === 'number' || t.text === ')');
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterProblem('a string is not closed (a quote is missing)', at);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      out.push({ kind: 'string', value, at, text: text.slice(at, i) });
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new FilterProblem('a quoted column name is not closed', at);
      const name = text.slice(i + 1, end);
      i = end + 1;
      out.push({ kind: 'word', word: name, at, text: text.slice(at, i) });
      continue;
    }
    const num = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (num && (c !== '-' || !valueBefore())) {
      const value = Number(num[0]);
      if (!Number.isFinite(value)) throw new FilterProblem(`the number ${num[0]} is out of range`, at);
      i += num[0].length;
      if (/^[A-Za-z_]/.test(text.slice(i))) throw new FilterProblem(`unexpected "${text[i]}" after a number`, i);
      out.push({ kind: 'number', value, at, text: num[0] });
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      const lower = word[0].toLowerCase();
      if (KEYWORDS.has(lower)) out.push({ kind: 'keyword', word: lower, at, text: word[0] });
      else {
        if (/^\s*\(/.test(text.slice(i)))
          throw new FilterProblem(`"${word[0]}(…)" is a function call, which a filter cannot make`, at);
        out.push({ kind: 'word', word: word[0], at, text: word[0] });
      }
      continue;
    }
    const op = /^(<=|>=|<>|!=|==|=|<|>|\(|\)|,)/.exec(text.slice(i));
    if (op) {
      i += op[0].length;
      out.push({ kind: 'op', op: op[0], at, text: op[0] });
      continue;
    }
    throw new FilterProblem(`unexpected "${c}"`, at);
  }
  out.push({ kind: 'end', at: text.length, text: '' });
}

function columnOf(name: string, at: number): string {
  const lower = name.toLowerCase();
  if (COLUMNS.has(lower)) return lower;
  throw new FilterProblem(
    `"${name}" is not a column of the errors table (its columns: ${FILTER_COLUMNS.join(', ')})`,
    at,
  );
}

type Operand =
  | { kind: 'column'; name: string; type: ColumnType; at: number }
  | { kind: 'value'; value: FilterValue; at: number };

const COMPARISONS: Record<string, string> = {
  '=': '=',
  '==': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

class Parser {
  private i = 0;
  readonly values: FilterValue[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly dialect: FilterDialect,
  ) {}

  parse(): CompiledFilter {
    if (this.peek().kind === 'end') throw new FilterProblem('the filter is empty', 0);
    const sql = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new FilterProblem(`unexpected ${describe(rest)}`, rest.at);
    return { sql, values: this.values };
  }

  private peek(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind === 'bad') throw new FilterProblem(t.message, t.at);
    return t;
  }

  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'keyword' && t.word === word;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.op === op;
  }

  private expectKeyword(word: string, context: string): void {
    if (!this.isKeyword(word))
      throw new FilterProblem(
        `expected ${word.toUpperCase()} ${context}, found ${describe(this.peek())}`,
        this.peek().at,
      );
    this.i++;
  }

  private expectOp(op: string, context: string): void {
    if (!this.isOp(op))
      throw new FilterProblem(`expected "${op}" ${context}, found ${describe(this.peek())}`, this.peek().at);
    this.i++;
  }

  private or(): string {
    const parts = [this.and()];
    while (this.isKeyword('or')) {
      this.i++;
      parts.push(this.and());
    }
    return parts.join(' OR ');
  }

  private and(): string {
    const parts = [this.not()];
    while (this.isKeyword('and')) {
      this.i++;
      parts.push(this.not());
    }
    return parts.join(' AND ');
  }

  private not(): string {
    if (this.isKeyword('not')) {
      this.i++;
      return `NOT ${this.not()}`;
    }
    if (this.isOp('(')) {
      this.i++;
      const inner = this.or();
      this.expectOp(')', 'to close the parenthesis');
      return `(${inner})`;
    }
    return this.predicate();
  }

  private predicate(): string {
    const left = this.operand();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS[t.op]) {
      this.i++;
      const right = this.operand();
      if (left.kind !== 'column' && right.kind !== 'column')
        throw new FilterProblem('a comparison needs a column on one side', left.at);
      for (const side of [left, right])
        if (side.kind === 'column' && side.type === 'json')
          throw new FilterProblem(`${side.name} holds JSON: a filter can only test it with IS [NOT] NULL`, side.at);
      return `${this.render(left)} ${COMPARISONS[t.op]} ${this.render(right)}`;
    }
    if (this.isKeyword('is')) {
      this.i++;
      const negated = this.isKeyword('not');
      if (negated) this.i++;
      this.expectKeyword('null', 'after IS');
      if (left.kind !== 'column') throw new FilterProblem('IS NULL tests a column', left.at);
      return `${this.render(left)} IS ${negated ? 'NOT ' : ''}NULL`;
    }
    let negated = false;
    if (this.isKeyword('not')) {
      negated = true;
      this.i++;
    }
    const not = negated ? 'NOT ' : '';
    if (this.isKeyword('in')) {
      this.i++;
      const column = this.plainColumn(left, 'IN');
      this.expectOp('(', 'after IN');
      const items: string[] = [];
      for (;;) {
        const v = this.operand();
        if (v.kind !== 'value') throw new FilterProblem('IN (…) takes strings and numbers', v.at);
        items.push(this.render(v));
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expectOp(')', 'to close the IN list');
      return `${column} ${not}IN (${items.join(', ')})`;
    }
    if (this.isKeyword('like')) {
      this.i++;
      const column = this.plainColumn(left, 'LIKE');
      const pattern = this.operand();
      if (pattern.kind !== 'value' || typeof pattern.value !== 'string')
        throw new FilterProblem("LIKE takes a string pattern, e.g. 'Timeout%'", pattern.at);
      return `${column} ${not}LIKE ${this.render(pattern)}`;
    }
    if (this.isKeyword('between')) {
      this.i++;
      const column = this.plainColumn(left, 'BETWEEN');
      const low = this.operand();
      this.expectKeyword('and', 'in BETWEEN … AND …');
      const high = this.operand();
      return `${column} ${not}BETWEEN ${this.render(low)} AND ${this.render(high)}`;
    }
    if (negated)
      throw new FilterProblem(`expected IN, LIKE or BETWEEN after NOT, found ${describe(this.peek())}`, this.peek().at);
    if (left.kind === 'column' && left.type === 'boolean') return this.render(left);
    throw new FilterProblem(
      `expected a comparison (=, <>, <, >, IN, IS NULL, LIKE…) after ${left.kind === 'column' ? left.name : 'a value'}, found ${describe(t)}`,
      t.at,
    );
  }

  private plainColumn(left: Operand, what: string): string {
    if (left.kind !== 'column') throw new FilterProblem(`${what} tests a column`, left.at);
    if (left.type === 'json')
      throw new FilterProblem(`${left.name} holds JSON: a filter can only test it with IS [NOT] NULL`, left.at);
    return this.render(left);
  }

  private operand(): Operand {
    const t = this.next();
    if (t.kind === 'word') {
      const name = columnOf(t.word, t.at);
      return { kind: 'column', name, type: COLUMNS.get(name)!, at: t.at };
    }
    if (t.kind === 'string' || t.kind === 'number') return { kind: 'value', value: t.value, at: t.at };
    if (t.kind === 'keyword' && (t.word === 'true' || t.word === 'false'))
      return { kind: 'value', value: t.word === 'true', at: t.at };
    throw new FilterProblem(`expected a column, a string or a number, found ${describe(t)}`, t.at);
  }

  private render(o: Operand): string {
    if (o.kind === 'column') return `"${o.name}"`;
    // SQLite stores booleans as 0/1 and its driver binds no booleans.
    this.values.push(this.dialect === 'sqlite' && typeof o.value === 'boolean' ? Number(o.value) : o.value);
    return this.dialect === 'postgres' ? `$${this.values.length}` : '?';
  }
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'the end of the filter';
  if (t.kind === 'keyword') return t.word.toUpperCase();
  return `"${t.text}"`;
}
