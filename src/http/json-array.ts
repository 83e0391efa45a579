import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * A streaming reader for one (possibly huge) top-level JSON array: it yields the array's elements one at a time as
 * their bytes arrive, so memory holds one element (plus a page, with `jsonArrayPages`), never the whole body. A small
 * byte scanner finds where each element ends (tracking strings, escapes and nesting); the element's own bytes are
 * then handed to JSON.parse, which does the real parsing and validation.
 *
 * Failures are JsonStreamError: `truncated` when the input ends before the closing `]` (a cut connection),
 * `malformed` for anything that is not one JSON array, `too_large` for an element over `maxElementBytes`.
 */
export type JsonStreamProblem = 'truncated' | 'malformed' | 'too_large';

export class JsonStreamError extends Error {
  constructor(
    readonly problem: JsonStreamProblem,
    message: string,
    /** Elements read before the failure. */
    readonly elements: number,
    /** Bytes of (decompressed) input read before the failure. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

export interface JsonArrayOptions {
  /** Largest single element accepted, in bytes. Default 64 MiB (a full event report is a few kB to a few MB). */
  maxElementBytes?: number;
}

export const DEFAULT_MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

enum S {
  BeforeArray,
  ValueOrEnd,
  Value,
  CommaOrEnd,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Elements of the JSON array read from `source` (byte chunks or strings). */
export async function* jsonArrayElements(
  source: AsyncIterable<Uint8Array | string>,
  options: JsonArrayOptions = {},
): AsyncGenerator<unknown, void, undefined> {
  const maxBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  let state = S.BeforeArray;
  let offset = 0;
  let count = 0;
  // The element being read: its finished slices, and where it started in the current chunk.
  let parts: Buffer[] = [];
  let partBytes = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** The element is a bare scalar (number, true, false, null): it ends at a delimiter, not at a bracket. */
  let scalar = false;

  const fail = (problem: JsonStreamProblem, message: string): never => {
    throw new JsonStreamError(problem, message, count, offset);
  };
  const finish = (): unknown => {
    const text = Buffer.concat(parts, partBytes).toString('utf8');
    parts = [];
    partBytes = 0;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return fail('malformed', `element ${count + 1} of the JSON array is not valid JSON`);
    }
  };

  for await (const raw of source) {
    const buf = toBuffer(raw);
    // Where the current element's bytes start in this chunk (-1: not in an element; 0: it began in an earlier chunk).
    let start = state === S.Value ? 0 : -1;
    const ready: unknown[] = [];
    const n = buf.length;
    // The element ends before `end` in this chunk: parse it and expect a comma or the array's end.
    const complete = (end: number) => {
      parts.push(buf.subarray(start, end));
      partBytes += end - start;
      start = -1;
      ready.push(finish());
      count++;
      state = S.CommaOrEnd;
    };
    for (let i = 0; i < n; i++) {
      const b = buf[i]!;
      if (state === S.Value) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (depth === 0) complete(i + 1);
          }
          continue;
        }
        if (scalar) {
          if (b === 0x2c || b === 0x5d || isSpace(b)) {
            complete(i);
            scalar = false;
            i--; // the delimiter belongs to the array
          }
          continue;
        }
        if (b === QUOTE) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          depth--;
          if (depth === 0) complete(i + 1);
        }
        continue;
      }
      if (isSpace(b)) continue;
      // `state` also changes inside complete(), which narrowing does not see.
      switch (state as S) {
        case S.BeforeArray:
          // A UTF-8 byte order mark (EF BB BF) may precede the array, in any chunking.
          if (offset + i < 3 && b === [0xef, 0xbb, 0xbf][offset + i]) break;
          if (b !== 0x5b) fail('malformed', 'the body is not a JSON array');
          state = S.ValueOrEnd;
          break;
        case S.ValueOrEnd:
          if (b === 0x5d && count === 0) {
            state = S.Done;
            break;
          }
          if (b === 0x5d || b === 0x2c)
            fail('malformed', `unexpected "${String.fromCharCode(b)}" where element ${count + 1} should start`);
          state = S.Value;
          start = i;
          if (b === QUOTE) inString = true;
          else if (b === 0x7b || b === 0x5b) depth = 1;
          else scalar = true;
          break;
        case S.CommaOrEnd:
          if (b === 0x2c) state = S.ValueOrEnd;
          else if (b === 0x5d) state = S.Done;
          else fail('malformed', `expected "," or "]" after element ${count}`);
          break;
        case S.Done:
          fail('malformed', 'unexpected data after the end of the JSON array');
      }
    }
    offset += n;
    if (start >= 0) {
      // The element continues in the next chunk.
      parts.push(buf.subarray(start));
      partBytes += n - start;
    }
    if (partBytes > maxBytes)
      fail('too_large', `element ${count + 1} of the JSON array is larger than ${maxBytes} bytes`);
    for (const v of ready) yield v;
  }
  if (state === S.Value && scalar) {
    fail('truncated', `the JSON array ended after ${count} element${count === 1 ? '' : 's'} without its closing "]"`);
  }
  if (state !== S.Done) {
    fail(
      'truncated',
      state === S.BeforeArray
        ? 'the body is empty, not a JSON array'
        : `the JSON array ended after ${count} element${count === 1 ? '' : 's'} without its closing "]"`,
    );
  }
}

/** The same elements in arrays of `pageSize` (the last one shorter); memory holds one page and one element. */
export async function* jsonArrayPages(
  source: AsyncIterable<Uint8Array | string>,
  pageSize: number,
  options: JsonArrayOptions = {},
): AsyncGenerator<unknown[], void, undefined> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive whole number');
  let page: unknown[] = [];
  for await (const v of jsonArrayElements(source, options)) {
    page.push(v);
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/**
 * The bytes, gunzipped when the first two are gzip's magic number (1f 8b): a download may arrive compressed even
 * without `Content-Encoding` (a `.json.gz` object served as it is stored). A JSON text never starts with 0x1f.
 */
export async function* gunzipIfNeeded(
  source: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<Buffer, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      head = Buffer.concat([head, toBuffer(r.value)]);
    }
    async function* rest(): AsyncGenerator<Buffer> {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield toBuffer(r.value);
      }
    }
    if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
      yield* rest();
      return;
    }
    const gunzip = createGunzip();
    // Callback pipeline: a source error (a cut connection) destroys gunzip with that error, so the loop below throws.
    pipeline(Readable.from(rest()), gunzip, () => undefined);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } finally {
      gunzip.destroy();
    }
  } finally {
    await it.return?.();
  }
}

function toBuffer(v: Uint8Array | string): Buffer {
  return typeof v === 'string'
    ? Buffer.from(v, 'utf8')
    : Buffer.isBuffer(v)
      ? v
      : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
