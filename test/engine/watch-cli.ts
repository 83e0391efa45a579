import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

/**
 * Runs the compiled CLI and watches its JSON progress lines on stderr, so a test can act at a chosen point of a
 * sync (kill it, revoke its token, add data) by observing progress instead of sleeping.
 */
export interface ProgressLine {
  type: string;
  stream?: string;
  [key: string]: unknown;
}

export interface WatchedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: ProgressLine[];
}

export interface WatchOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: string;
  /** The child, as soon as it is spawned (to send it signals). */
  onSpawn?: (child: ChildProcess) => void;
  /** Called for every progress line; return 'kill' to send SIGKILL at once. */
  onLine?: (line: ProgressLine, index: number) => 'kill' | void;
  timeoutMs?: number;
}

export function watchCli(args: string[], options: WatchOptions): Promise<WatchedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', SNAGSYNC_PROGRESS: 'json', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let pending = '';
    const lines: ProgressLine[] = [];
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!raw.startsWith('{')) continue;
        let line: ProgressLine;
        try {
          line = JSON.parse(raw) as ProgressLine;
        } catch {
          continue;
        }
        lines.push(line);
        if (!killed && options.onLine?.(line, lines.length) === 'kill') {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, lines });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
