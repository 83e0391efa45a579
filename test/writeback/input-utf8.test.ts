import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { readInput } from '../../src/writeback/index.js';

/** A file input that is not UTF-8 is refused, naming the row and line, instead of being read with U+FFFD. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snagsync-utf8-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const P = 'a'.repeat(24);
const E = 'b'.repeat(24);
const file = (name: string, ...parts: Array<string | Buffer>) => {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
  return path;
};
const refusal = (path: string) =>
  readInput(path).then(
    () => {
      throw new Error(`not refused: ${path}`);
    },
    (e: unknown) => e as SnagError,
  );
const LATIN1_E_ACUTE = Buffer.from([0xe9]);

describe('file inputs must be UTF-8', () => {
  it('JSONL: a Latin-1 byte in a comment is refused, naming its row and line', async () => {
    const path = file(
      'rows.jsonl',
      `{"project_id":"${P}","error_id":"${E}","operation":"fix"}\n`,
      `{"project_id":"${P}","error_id":"${E}","operation":"comment","message":"ok"}\n`,
      `{"project_id":"${P}","error_id":"${E}","operation":"comment","message":"caf`,
      LATIN1_E_ACUTE,
      '"}\n',
    );
    const err = await refusal(path);
    expect(isSnagError(err, 'config'), String(err)).toBe(true);
    expect(err.message).toContain('is not valid UTF-8; nothing was read');
    expect(err.message).toMatch(/row 3 \(line 3\): byte 0xE9 at column \d+ is not UTF-8/);
    expect(err.details).toMatchObject({ field: 'from', lines: [{ row: 3, line: 3 }] });
  });

  it('CSV: rows are named by record (a quoted cell spans lines), the header as the header', async () => {
    const path = file(
      'rows.csv',
      'project_id,error_id,operation,message\n',
      `${P},${E},comment,"two\nlines"\n`,
      `${P},${E},comment,na`,
      Buffer.from([0xef, 0xbb]), // a UTF-8 sequence cut short
      've\n',
    );
    const err = await refusal(path);
    expect(err.message).toMatch(/row 2 \(line 4\): byte 0xEF at column 61 is not UTF-8/);

    const header = await refusal(file('header.csv', 'project_id,error_id,operation,m', LATIN1_E_ACUTE, 'ssage\n'));
    expect(header.message).toMatch(/the header \(line 1\): byte 0xE9/);
  });

  it('several bad lines are all listed (up to five)', async () => {
    const line = (i: number) => [
      `{"project_id":"${P}","error_id":"${E}","operation":"comment","message":"${i}`,
      LATIN1_E_ACUTE,
      '"}\n',
    ];
    const err = await refusal(file('many.jsonl', ...[1, 2, 3].flatMap(line)));
    expect(err.details.lines).toEqual([
      { row: 1, line: 1 },
      { row: 2, line: 2 },
      { row: 3, line: 3 },
    ]);
  });

  it('valid UTF-8 is read as it is: a BOM, accents, an emoji, a real U+FFFD', async () => {
    const path = file('ok.csv', '\uFEFFproject_id,error_id,operation,message\n', `${P},${E},comment,café 🚀 \uFFFD\n`);
    const read = await readInput(path);
    expect(read.rows).toEqual([
      { row: 1, fields: { project_id: P, error_id: E, operation: 'comment', message: 'café 🚀 \uFFFD' } },
    ]);
  });
});

describe('standard input must be UTF-8 too', () => {
  it('a CSV on standard input with a Latin-1 byte is refused, naming the row; the same bytes in UTF-8 are read', async () => {
    const csv = (e: Buffer) =>
      Buffer.concat([
        Buffer.from(`project_id,error_id,operation,message\n${P},${E},comment,caf`),
        e,
        Buffer.from('\n'),
      ]);
    const err = await readInput('-', { stdin: async () => csv(LATIN1_E_ACUTE) }).catch((e: unknown) => e as SnagError);
    expect(isSnagError(err, 'config')).toBe(true);
    expect((err as SnagError).message).toMatch(/standard input is not valid UTF-8[\s\S]*row 1 \(line 2\)/);
    const ok = await readInput('-', { stdin: async () => csv(Buffer.from('é', 'utf8')) });
    expect(ok.rows[0]!.fields.message).toBe('café');
  });
});
