import { z } from 'zod';
import { parseTimestamp } from '../core/time.js';

const DAY_MS = 86_400_000;

/** What a simulator is built from. Counts of errors, events and releases are per project; projects per organization. */
export const SimulatorOptionsSchema = z.object({
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Control endpoints (`/__sim/…`) only answer when this is a loopback address. */
  host: z.string().min(1).default('127.0.0.1'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  orgs: z.number().int().min(1).max(64).default(2),
  projects: z.number().int().min(1).max(1000).default(3),
  errors: z.number().int().min(1).max(1_000_000).default(50),
  events: z.number().int().min(1).max(1_000_000_000).default(2000),
  releases: z.number().int().min(1).max(100_000).default(20),
  /** Requests per token per window. 30 is the only figure ever seen on the real API (docs/bugsnag-api.md §14). */
  rateLimit: z.number().int().min(1).default(30),
  rateWindowMs: z.number().int().min(1).default(60_000),
  /** Fault spec, see faults.ts (`500:0.1,reset:0.05,slow:200ms@0.1,429storm:5s`). */
  faults: z.string().default(''),
  /**
   * Where generated history ends. Default: the start of the current UTC day, so data is recent (relative filters
   * such as `event.since=7d` find it) and identical for every run on the same day; pin it for byte-identical data
   * across days and machines.
   */
  anchor: z.union([z.string(), z.date(), z.number()]).optional(),
  /**
   * Event data requests (docs/simulator-edr.md): how long one takes from the POST to COMPLETED (a third of it in
   * PREPARING, the rest IN_PROGRESS). Nothing public says how long the real API takes.
   */
  edrPrepareMs: z.number().int().min(0).max(86_400_000).default(2_000),
  /** Most events one event data request may select; past it the POST answers 400 (the real limit is not published). */
  edrMaxEvents: z.number().int().min(1).max(1_000_000_000).default(100_000),
  /** How long a signed download URL stays valid after the GET that handed it out (capped by `expires_at`). */
  edrUrlTtlMs: z.number().int().min(1).default(600_000),
  /** From COMPLETED to EXPIRED (`expires_at`); 7 days, as in the spec's example. */
  edrExpireMs: z
    .number()
    .int()
    .min(1)
    .default(7 * DAY_MS),
});

export type SimulatorOptions = z.input<typeof SimulatorOptionsSchema>;

export interface ResolvedOptions extends Omit<z.output<typeof SimulatorOptionsSchema>, 'anchor'> {
  /** Anchor in whole seconds since the epoch. */
  anchorSec: number;
}

export function resolveOptions(input: SimulatorOptions = {}, now: number = Date.now()): ResolvedOptions {
  const parsed = SimulatorOptionsSchema.parse(input);
  const { anchor, ...rest } = parsed;
  let anchorMs: number;
  if (anchor === undefined) anchorMs = Math.floor(now / DAY_MS) * DAY_MS;
  else if (typeof anchor === 'number') anchorMs = anchor;
  else {
    const d = parseTimestamp(anchor);
    if (!d) throw new Error(`anchor "${String(anchor)}" is not an ISO 8601 time`);
    anchorMs = d.getTime();
  }
  return { ...rest, errors: Math.min(rest.errors, rest.events), anchorSec: Math.floor(anchorMs / 1000) };
}
