import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isSnagError } from '../../src/core/errors.js';
import { promptHidden, readAll, type TtyInput } from '../../src/cli/prompt.js';

/** A stand-in for a terminal: records raw-mode switches and everything written to it. */
function fakeTty(): { input: TtyInput & PassThrough; output: PassThrough; written: () => string; rawModes: boolean[] } {
  const input = new PassThrough() as TtyInput & PassThrough;
  const rawModes: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (mode: boolean) => {
    rawModes.push(mode);
    return input;
  };
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  return { input, output, written: () => text, rawModes };
}

describe('promptHidden', () => {
  it('reads up to Enter in raw mode, echoes nothing, and restores the terminal', async () => {
    const t = fakeTty();
    const answer = promptHidden('Auth Token (hidden): ', t.input, t.output);
    t.input.write('abc-');
    t.input.write('secret-123\rignored');
    expect(await answer).toBe('abc-secret-123');
    expect(t.rawModes).toEqual([true, false]);
    expect(t.written()).toBe('Auth Token (hidden): \n');
  });

  it('handles Backspace, Ctrl-U and drops escape sequences (bracketed paste, arrow keys)', async () => {
    const t = fakeTty();
    const answer = promptHidden('? ', t.input, t.output);
    t.input.write('wrong\u0015');
    t.input.write('\u001b[200~tok-en\u001b[201~');
    t.input.write('x\u007f\u001b[A');
    t.input.write('-1\n');
    expect(await answer).toBe('tok-en-1');
  });

  it('Ctrl-C cancels with an aborted error (exit 130) and restores the terminal', async () => {
    const t = fakeTty();
    const answer = promptHidden('? ', t.input, t.output);
    t.input.write('partial\u0003');
    const err = await answer.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSnagError(err, 'aborted')).toBe(true);
    expect(isSnagError(err) && err.exitCode).toBe(130);
    expect(t.rawModes).toEqual([true, false]);
  });

  it('Ctrl-D ends a non-empty entry and cancels an empty one', async () => {
    const a = fakeTty();
    const p = promptHidden('? ', a.input, a.output);
    a.input.write('tok\u0004');
    expect(await p).toBe('tok');
    const b = fakeTty();
    const q = promptHidden('? ', b.input, b.output);
    b.input.write('\u0004');
    expect(
      isSnagError(
        await q.then(
          () => null,
          (e: unknown) => e,
        ),
        'aborted',
      ),
    ).toBe(true);
  });

  it('refuses to prompt when the input is not a terminal', async () => {
    const input = new PassThrough() as TtyInput & PassThrough;
    const err = await promptHidden('? ', input, new PassThrough()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSnagError(err, 'usage')).toBe(true);
  });
});

describe('readAll', () => {
  it('reads a piped stream to its end', async () => {
    const s = new PassThrough();
    const p = readAll(s);
    s.write('tok');
    s.end('en\n');
    expect(await p).toBe('token\n');
  });
});
