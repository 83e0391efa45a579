import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BIN } from './cli.js';

/** A compiled CLI command that runs until stopped (`sim`, `serve`, `demo --serve`), read as it writes. */
export interface LongCli {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout text that matches, as soon as it is written. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (for afterAll). */
  kill(): void;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): LongCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const watchers: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...watchers]) w();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of [...watchers]) w();
      resolve({ code, signal });
    }),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.on('close', () => clearTimeout(timer));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            watchers.splice(watchers.indexOf(check), 1);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.splice(watchers.indexOf(check), 1);
            reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}: ${out}\n${err}`));
          }
        };
        watchers.push(check);
        check();
      }),
  };
}
