import { z } from 'zod';
import type { Json } from '../../queue/port.js';
import type { Partition } from '../../streams/types.js';
import type { ErrorJson, RunWarning, StreamOutcome } from '../events.js';

/**
 * What a job of the queue carries: a run's plan (list organizations and projects, read the account's and
 * organizations' streams, then enqueue the rest) or one unit (a stream and its children for one project). Read back
 * from the database, so parsed at the edge. Never a token: the worker unseals the source's credential itself.
 */
const common = {
  v: z.literal(1),
  run: z.string().min(1),
  source: z.string().min(1),
  /** The token's lane (tokenKey: a hash, not the token). */
  lane: z.string().min(1),
  full_refresh: z.boolean(),
  /** The run's "now" (pass upper bounds), the same for every unit. */
  now: z.string(),
};

export const PlanJob = z.object({ ...common, kind: z.literal('plan'), streams: z.array(z.string()).nullable() });
export const UnitJob = z.object({
  ...common,
  kind: z.literal('unit'),
  stream: z.string().min(1),
  children: z.array(z.string()),
  partition: z.looseObject({ kind: z.enum(['global', 'organization', 'project']), key: z.string() }),
});
export const RunJob = z.discriminatedUnion('kind', [PlanJob, UnitJob]);
export type PlanJob = z.infer<typeof PlanJob>;
export type UnitJob = z.infer<typeof UnitJob>;
export type RunJob = z.infer<typeof RunJob>;

export function partitionOf(job: UnitJob): Partition {
  return job.partition as unknown as Partition;
}

/** What a job settles in its run's group: the run's status and error are aggregated from these. */
export interface UnitResult {
  outcome: StreamOutcome | 'cancelled';
  /** The failure stops the whole run (token refused, destination unwritable…). */
  fatal?: boolean;
  error?: ErrorJson;
  warnings?: RunWarning[];
  /** Bugsnag answered with the token at least once. */
  answered?: boolean;
  /** The plan's result: how many organizations and projects the run reads (the followers' `plan` event). */
  plan?: { organizations: number; projects: number };
}

export function toJson(value: UnitResult | RunJob): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

export function unitKey(job: RunJob): string {
  return job.kind === 'plan' ? 'plan' : `${job.stream}@${job.partition.key}`;
}
