import { SnagError } from '../../core/errors.js';
import { inProcessExecutor, processExecutor, type RunExecutor } from '../../engine/index.js';

/** Where the server's runs execute: `process` (the default: a child process per run) or `in-process`. */
export const RUN_EXECUTOR_ENV = 'SNAGSYNC_RUN_EXECUTOR';
/**
 * The priority of a run's process: `idle` (the default: nice 19 and Linux's idle scheduling class) or a nice value
 * 0–19: how far behind the server's answers a sync comes.
 */
export const RUN_NICE_ENV = 'SNAGSYNC_RUN_NICE';
export type ExecutorChoice = RunExecutor | 'process' | 'in-process';

/**
 * The option wins, then SNAGSYNC_RUN_EXECUTOR from the runtime's environment, then a child process per run: a sync
 * writes SQLite synchronously and parses large pages, which in-process would stall every answer of the server for
 * as long (bench/serve-latency.ts measures it). `in-process` stays for embedding apps and tests that need the run in
 * the same process (an injected transport, a spy on the destination).
 */
export function chooseExecutor(option: ExecutorChoice | undefined, env: NodeJS.ProcessEnv): RunExecutor {
  const choice = option ?? env[RUN_EXECUTOR_ENV]?.trim() ?? 'process';
  if (typeof choice !== 'string') return choice;
  if (choice === '' || choice === 'process') return processExecutor(niceOf(env));
  if (choice === 'in-process') return inProcessExecutor;
  throw new SnagError('config', `${RUN_EXECUTOR_ENV} is "${choice}", which is not a way to run syncs.`, {
    hint: `Set ${RUN_EXECUTOR_ENV} to process (a child process per run, the default) or in-process, or unset it.`,
    details: { field: RUN_EXECUTOR_ENV },
  });
}

function niceOf(env: NodeJS.ProcessEnv): { nice?: number | 'idle' } {
  const raw = env[RUN_NICE_ENV]?.trim();
  if (!raw) return {};
  if (raw === 'idle') return { nice: 'idle' };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new SnagError('config', `${RUN_NICE_ENV} is "${raw}", which is not a nice value.`, {
      hint: `Set ${RUN_NICE_ENV} to idle (the default: nice 19 and the idle scheduling class), or a whole number from 0 (the server's priority) to 19, or unset it.`,
      details: { field: RUN_NICE_ENV },
    });
  return { nice: n };
}
