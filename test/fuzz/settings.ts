/**
 * Bounds shared by every property, for 2 shared cores: a few runs, a time limit after which no new run starts, and a
 * per-run timeout, so that an async run that hangs fails with its counterexample instead of stalling the file.
 */
export const RUNS = { numRuns: 200, interruptAfterTimeLimit: 8_000, timeout: 5_000 } as const;
export const FEW = { numRuns: 60, interruptAfterTimeLimit: 8_000, timeout: 5_000 } as const;
