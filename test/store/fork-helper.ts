import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a TypeScript file as a real child process (through tsx), for tests that need two processes or a kill -9.
 * Children talk to the test over the IPC channel: they send `{ type: 'ready' }`, wait for `{ type: 'go' }` when they
 * use a barrier, and report results as messages. Synchronisation is by messages, never by sleeping.
 */
export interface Child {
  proc: ChildProcess;
  messages: unknown[];
  /** Resolves with the first message (already received or future) matching `pred`. */
  waitFor<T = Record<string, unknown>>(pred: (m: Record<string, unknown>) => boolean): Promise<T>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  send(message: Record<string, unknown>): void;
}

export function forkTs(script: URL | string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Child {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  const proc = fork(path, args, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const messages: unknown[] = [];
  const waiters: Array<{
    pred: (m: Record<string, unknown>) => boolean;
    resolve: (m: unknown) => void;
    reject: (e: Error) => void;
  }> = [];
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (isObject(m) && w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`child exited (${code ?? signal}) before the awaited message; stderr:\n${stderr}`));
      resolve({ code, signal, stderr });
    }),
  );
  return {
    proc,
    messages,
    exited,
    send: (message) => proc.send(message),
    waitFor<T>(pred: (m: Record<string, unknown>) => boolean): Promise<T> {
      const found = messages.find((m) => isObject(m) && pred(m));
      if (found) return Promise.resolve(found as T);
      if (proc.exitCode !== null || proc.signalCode !== null)
        return Promise.reject(new Error(`child already exited; stderr:\n${stderr}`));
      return new Promise<T>((resolve, reject) =>
        waiters.push({ pred, resolve: resolve as (m: unknown) => void, reject }),
      );
    },
  };
}

function isObject(m: unknown): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null;
}

/** Inside a child: report ready, then resolve when the test says go. */
export function barrier(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (m) => {
      if (isObject(m) && m.type === 'go') resolve();
    });
    process.send?.({ type: 'ready' });
  });
}

/** Starts several children and releases them at once, after all of them are ready. */
export async function releaseTogether(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => c.waitFor((m) => m.type === 'ready')));
  for (const c of children) c.send({ type: 'go' });
}
