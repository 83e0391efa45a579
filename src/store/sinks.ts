import { z } from 'zod';
import { CredentialId } from './models.js';

/**
 * Data sinks (destinations that write back to Bugsnag) and their write-back runs, as the store keeps them. The sink's
 * `config` (its input and operation) is opaque to the store, like a source's options: the server checks it.
 */

const isoTime = z.string().min(1);
export const SinkId = z.string().regex(/^snk_[0-9a-z]+$/, 'expected a snk_… id');
export const SinkRunId = z.string().regex(/^wbr_[0-9a-z]+$/, 'expected a wbr_… id');

export const DataSinkRecord = z.object({
  id: SinkId,
  name: z.string(),
  description: z.string().nullable(),
  /** Null once its credential was removed. */
  credential_id: CredentialId.nullable(),
  config: z.record(z.string(), z.unknown()),
  last_run_id: SinkRunId.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
});
export type DataSinkRecord = z.infer<typeof DataSinkRecord>;

export const DataSinkCreate = z.object({
  id: SinkId.optional(),
  name: z.string(),
  description: z.string().nullable().optional(),
  credential_id: CredentialId,
  config: z.record(z.string(), z.unknown()).default({}),
});
export type DataSinkCreate = z.input<typeof DataSinkCreate>;

export const DataSinkUpdate = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    credential_id: CredentialId,
    config: z.record(z.string(), z.unknown()),
  })
  .partial();
export type DataSinkUpdate = z.input<typeof DataSinkUpdate>;

export const SinkRunStatus = z.enum(['running', 'succeeded', 'partial', 'failed']);
export type SinkRunStatus = z.infer<typeof SinkRunStatus>;

/** One apply of a sink: what the plan said, and when it ends, the per-row report (opaque JSON to the store). */
export const SinkRunRecord = z.object({
  id: SinkRunId,
  sink_id: SinkId,
  status: SinkRunStatus,
  /** The plan as it was when the run started (opaque). */
  plan: z.record(z.string(), z.unknown()),
  /** The report once the run has ended: totals, rows (opaque); null while it runs. */
  report: z.record(z.string(), z.unknown()).nullable(),
  error: z.record(z.string(), z.unknown()).nullable(),
  pid: z.number().int().nullable(),
  hostname: z.string().nullable(),
  started_at: isoTime,
  finished_at: isoTime.nullable(),
});
export type SinkRunRecord = z.infer<typeof SinkRunRecord>;

export interface SinkRunFinish {
  status: Exclude<SinkRunStatus, 'running'>;
  report?: Record<string, unknown> | null;
  error?: Record<string, unknown> | null;
}

export interface SinkRepository {
  /** Throws conflict when the name is taken, missing when the credential does not exist. */
  create(input: DataSinkCreate): Promise<DataSinkRecord>;
  get(id: string): Promise<DataSinkRecord | null>;
  /** By exact id first, then by name (case-insensitive). Unknown → SnagError('missing'). */
  findByNameOrId(ref: string): Promise<DataSinkRecord>;
  list(): Promise<DataSinkRecord[]>;
  update(id: string, patch: DataSinkUpdate): Promise<DataSinkRecord>;
  /** Removes the sink and its runs. Refused (conflict) while one of its runs is live. */
  remove(id: string): Promise<DataSinkRecord>;
  /**
   * Starts a run: refused (conflict) while another live run of the same sink exists (a run left `running` by a
   * process that is gone is first marked failed). Sets the sink's last_run_id in the same transaction.
   */
  startRun(sinkId: string, plan: Record<string, unknown>): Promise<SinkRunRecord>;
  finishRun(runId: string, result: SinkRunFinish): Promise<SinkRunRecord>;
  getRun(runId: string): Promise<SinkRunRecord | null>;
  /** Marks failed the sink's runs left `running` by a process that is gone (as startRun does first). */
  failStale(sinkId: string): Promise<void>;
  /** Newest first. */
  listRuns(sinkId: string, limit?: number): Promise<SinkRunRecord[]>;
}
