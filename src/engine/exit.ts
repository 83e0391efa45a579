import { EXIT_CODES } from '../core/errors.js';
import type { RunSummary } from './events.js';

/** The CLI exit code for a finished run: 0 when it succeeded, 130 when cancelled, else its error's code. */
export function exitCodeOf(summary: Pick<RunSummary, 'status' | 'error'>): number {
  if (summary.status === 'succeeded') return 0;
  if (summary.status === 'cancelled') return EXIT_CODES.aborted;
  return summary.error?.exit_code ?? EXIT_CODES.internal;
}
