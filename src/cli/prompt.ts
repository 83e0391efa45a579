import { createInterface } from 'node:readline/promises';
import { SnagError } from '../core/errors.js';

/**
 * Reading input for the CLI: a hidden prompt for secrets (raw mode, nothing echoed — not even asterisks, which
 * would tell an onlooker the token's length), a visible prompt for plain fields, and stdin read to its end.
 */

/** The part of a TTY input stream the hidden prompt needs (process.stdin, or a fake in tests). */
export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = '\u007f';
const CTRL_H = '\b';
const ESC = '\u001b';

/**
 * Asks for a secret on a terminal without echoing it. Enter ends the input; Backspace and Ctrl-U edit it; Ctrl-C
 * (and Ctrl-D on an empty line) cancel with SnagError('aborted'). Terminal escape sequences — the markers a terminal
 * wraps a paste in, arrow keys — are dropped, so they never become part of the token.
 */
export function promptHidden(question: string, input: TtyInput, output: NodeJS.WritableStream): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new SnagError('usage', 'Cannot prompt for hidden input: standard input is not a terminal.'));
  }
  const setRaw = input.setRawMode.bind(input);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    let inEscape: 'none' | 'start' | 'csi' = 'none';
    const finish = (err: SnagError | null) => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      setRaw(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const cancelled = () => new SnagError('aborted', 'Cancelled: no token was entered.');
    const onEnd = () => finish(value === '' ? cancelled() : null);
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (inEscape === 'start') {
          inEscape = ch === '[' ? 'csi' : 'none';
          continue;
        }
        if (inEscape === 'csi') {
          // A CSI sequence ends with a byte in @–~ (e.g. "200~" of a bracketed paste, "A" of an arrow key).
          if (ch >= '@' && ch <= '~') inEscape = 'none';
          continue;
        }
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === CTRL_C) return finish(cancelled());
        if (ch === CTRL_D) {
          if (value === '') return finish(cancelled());
          return finish(null);
        }
        if (ch === BACKSPACE || ch === CTRL_H) value = [...value].slice(0, -1).join('');
        else if (ch === CTRL_U) value = '';
        else if (ch === ESC) inEscape = 'start';
        else if (ch >= ' ') value += ch;
      }
    };
    setRaw(true);
    output.write(question);
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}

/** Asks for a plain (visible) value on a terminal. */
export async function promptVisible(
  question: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  // Ctrl-C reaches readline, not the process, while it owns the terminal: turn it into a cancellation.
  const cancel = new AbortController();
  rl.on('SIGINT', () => cancel.abort());
  try {
    return await rl.question(question, { signal: cancel.signal });
  } catch (err) {
    if (cancel.signal.aborted) {
      output.write('\n');
      throw new SnagError('aborted', 'Cancelled: nothing was saved.');
    }
    throw err;
  } finally {
    rl.close();
  }
}

/** Everything on a (non-TTY) input stream until it ends. */
export async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  return (await readAllBytes(input)).toString('utf8');
}

/** Standard input's bytes, for readers that must refuse what is not UTF-8 rather than read U+FFFD in its place. */
export async function readAllBytes(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
