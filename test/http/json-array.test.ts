import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzipIfNeeded, JsonStreamError, jsonArrayElements, jsonArrayPages } from '../../src/http/json-array.js';

/** The streaming JSON array reader: same values as JSON.parse whatever the chunking, clear failures, bounded pages. */
async function* chunked(data: string | Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  let at = 0;
  let k = 0;
  while (at < b.length) {
    const n = Math.max(1, sizes.length ? sizes[k++ % sizes.length]! : b.length);
    yield b.subarray(at, at + n);
    at += n;
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of jsonArrayElements(source)) out.push(v);
  return out;
}

async function failure(text: string): Promise<JsonStreamError> {
  try {
    await collect(chunked(text, [2]));
  } catch (err) {
    expect(err).toBeInstanceOf(JsonStreamError);
    return err as JsonStreamError;
  }
  throw new Error(`no error for ${text}`);
}

describe('jsonArrayElements', () => {
  it('yields what JSON.parse gives, for any array and any chunking (multi-byte characters split across chunks)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue(), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (values, sizes, pretty) => {
          const text = pretty ? ` \n${JSON.stringify(values, null, 2)}\n` : JSON.stringify(values);
          expect(await collect(chunked(text, sizes))).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles strings with escaped quotes, backslashes and brackets, and a byte order mark', async () => {
    const values = ['a"b', 'c\\', '[{]}', { 'k"': ['\\"', '\u00e9\u{1f600}'] }, -1.5e-3, true, null];
    expect(await collect(chunked(`\ufeff${JSON.stringify(values)}`, [1]))).toEqual(values);
  });

  it.each([
    ['', 'truncated', /empty/],
    ['[{"a":1},{"b"', 'truncated', /after 1 element without/],
    ['[1,2', 'truncated', /after 1 element/],
    ['{"a":1}', 'malformed', /not a JSON array/],
    ['[1 2]', 'malformed', /expected "," or "\]"/],
    ['[1,]', 'malformed', /where element 2 should start/],
    ['[1]x', 'malformed', /after the end/],
    ['[{"a":tru}]', 'malformed', /element 1 .* not valid JSON/],
  ])('%j fails as %s', async (text, problem, message) => {
    const err = await failure(text);
    expect(err.problem).toBe(problem);
    expect(err.message).toMatch(message);
  });

  it('refuses an element over maxElementBytes (memory stays bounded even on a hostile body)', async () => {
    const big = JSON.stringify([{ a: 'x'.repeat(5000) }]);
    await expect(async () => {
      for await (const _ of jsonArrayElements(chunked(big, [100]), { maxElementBytes: 1000 })) void _;
    }).rejects.toMatchObject({ problem: 'too_large' });
  });
});

describe('jsonArrayPages and gunzipIfNeeded', () => {
  it('pages of N (the last shorter), from gzip or plain bytes alike', async () => {
    const values = Array.from({ length: 23 }, (_, i) => ({ id: i, s: 'é'.repeat(i) }));
    const text = JSON.stringify(values);
    for (const data of [Buffer.from(text), gzipSync(text)]) {
      const pages: unknown[][] = [];
      for await (const p of jsonArrayPages(gunzipIfNeeded(chunked(data, [7, 1, 64])), 10)) pages.push(p);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
      expect(pages.flat()).toEqual(values);
    }
  });

  it('a gzip stream cut short fails instead of ending quietly', async () => {
    const zipped = gzipSync(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i }))));
    await expect(async () => {
      for await (const _ of jsonArrayPages(gunzipIfNeeded(chunked(zipped.subarray(0, zipped.length - 30), [50])), 10))
        void _;
    }).rejects.toThrow();
  });

  it('rejects a page size that is not a positive whole number', async () => {
    await expect(async () => {
      for await (const _ of jsonArrayPages(chunked('[]', [1]), 0)) void _;
    }).rejects.toThrow(RangeError);
  });
});
