import { spawn, spawnSync } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

/** util-linux `script` gives the CLI a real pseudo-terminal, so the hidden prompt runs in raw mode as it would for a user. */
export function scriptAvailable(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface PtyStep {
  /** Wait until the terminal output contains this text… */
  waitFor: string;
  /** …then type this (a trailing "\r" is Enter). */
  type: string;
}

export interface PtyResult {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr share the pty). */
  output: string;
}

/**
 * Runs `snagsync ARGS` inside `script` and answers its prompts in order. Each answer is typed only once its prompt
 * has appeared, i.e. after the CLI switched the terminal to raw mode, so what the terminal echoes is what the CLI
 * lets it echo. Synchronised on output, never on time.
 */
export function runInPty(
  args: string[],
  steps: PtyStep[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<PtyResult> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', quoted, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let next = 0;
    let typedUpTo = 0;
    const onOutput = (d: Buffer) => {
      output += d.toString();
      const step = steps[next];
      if (step && output.indexOf(step.waitFor, typedUpTo) !== -1) {
        typedUpTo = output.length;
        next++;
        child.stdin.write(step.type);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
