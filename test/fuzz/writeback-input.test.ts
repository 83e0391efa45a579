import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { parseCsv, parseJsonl, readInput } from '../../src/writeback/input.js';
import { tempDir } from '../store/helpers.js';
import { hostileText } from './arbitraries.js';
import { RUNS } from './settings.js';

/** The write-back input (`--from`): arbitrary specs and file contents give rows or a SnagError, nothing else. */

let cwd: { dir: string; cleanup(): void };
beforeAll(() => {
  cwd = tempDir('snagsync-fuzz-wb-');
});
afterAll(() => cwd.cleanup());

const expectSnag = (err: unknown) => {
  if (!(err instanceof SnagError)) throw err;
};

describe('write-back input, arbitrary (property)', () => {
  it('sqlite:PATH?query=… with any path (stray %, controls, long): a SnagError, never a URIError', async () => {
    const path = fc.oneof(hostileText, fc.stringMatching(/^[a-z%0-9/.]{0,20}$/));
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('select 1', 'SELECT%201', '%zz', ''), async (p, q) => {
        try {
          await readInput(`sqlite:${p}?query=${q}`, { cwd: cwd.dir });
        } catch (err) {
          expectSnag(err);
        }
      }),
      RUNS,
    );
  });

  it('JSONL and CSV texts: rows or a SnagError', () => {
    const text = fc.oneof(
      hostileText,
      fc
        .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 })
        .map((rows) => rows.map((r) => JSON.stringify(r)).join('\n')),
      fc
        .array(fc.array(fc.oneof(hostileText, fc.constantFrom('"', '""', ',', '\n')), { maxLength: 4 }), {
          maxLength: 4,
        })
        .map((rows) => rows.map((r) => r.join(',')).join('\n')),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const parse of [parseJsonl, parseCsv]) {
          try {
            parse(t);
          } catch (err) {
            expectSnag(err);
          }
        }
      }),
      RUNS,
    );
  });
});
