/** Bounds shared by every property: few enough runs for 2 shared cores, a time limit so no property can hang. */
export const RUNS = { numRuns: 200, interruptAfterTimeLimit: 8_000 } as const;
export const FEW = { numRuns: 60, interruptAfterTimeLimit: 8_000 } as const;
