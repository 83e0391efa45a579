import type { BugsnagClient } from '../bugsnag/client.js';
import { clientOptionsFromEnv, engineClient, type EngineClientOptions } from '../engine/client.js';
import type { Runtime } from '../runtime.js';
import type { Credential } from '../store/models.js';
import { applyWriteback, type WritebackReport } from './apply.js';
import { readInput, type InputOptions } from './input.js';
import { planWriteback, type WritebackPlan } from './plan.js';

export interface WritebackSession {
  credential: Credential;
  api: BugsnagClient;
  plan: WritebackPlan;
  /** Read requests made by the plan. */
  apply(options?: { onProgress?: (done: number, total: number) => void }): Promise<WritebackReport>;
}

export interface WritebackOptions extends InputOptions {
  signal?: AbortSignal;
  client?: EngineClientOptions;
  batchSize?: number;
  /** Fields every row gets unless it has its own (a destination's operation and parameters). */
  defaults?: Record<string, unknown>;
}

/**
 * Reads the input, checks it and plans it with the credential's token. The client is built the way syncs build
 * theirs, so writes share the token's process-wide rate limiter with any sync running in the same process.
 */
export async function prepareWriteback(
  runtime: Runtime,
  credentialRef: string,
  from: string,
  options: WritebackOptions = {},
): Promise<WritebackSession> {
  const credential = await runtime.store.credentials.findByNameOrId(credentialRef);
  const read = await readInput(from, options);
  const rows = options.defaults
    ? read.rows.map((r) => ({ row: r.row, fields: { ...options.defaults, ...r.fields } }))
    : read.rows;
  const token = await runtime.vault.unseal(credential);
  const signal = options.signal ?? new AbortController().signal;
  const api = engineClient(
    token,
    credential.host,
    options.client ?? clientOptionsFromEnv(runtime.env),
    () => undefined,
    signal,
  );
  const plan = await planWriteback(api, rows, {
    signal,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  await skipJournaledComments(runtime, credential, plan);
  return {
    credential,
    api,
    plan,
    apply: (o = {}) =>
      applyWriteback(runtime.store, api, plan, {
        credentialId: credential.id,
        signal,
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      }),
  };
}

/**
 * Comments an earlier attempt of this input posted (journaled `applied`) are skipped in the plan even when they are
 * no longer on the error (someone deleted it in Bugsnag: posting it again would undo their choice). Those journaled
 * `sending` stay: apply looks for them right before posting.
 */
async function skipJournaledComments(runtime: Runtime, credential: Credential, plan: WritebackPlan): Promise<void> {
  const journal = await runtime.store.writebacks.find({ input_hash: plan.input_hash, credential_id: credential.id });
  if (!journal) return;
  const entries = await runtime.store.writebacks.entries(journal.id);
  for (const g of plan.groups) {
    if (g.operation !== 'comment') continue;
    const done = g.change.filter((r) => entries.get(r.row)?.state === 'applied');
    if (!done.length) continue;
    g.change = g.change.filter((r) => entries.get(r.row)?.state !== 'applied');
    g.skip.push(...done.map((r) => ({ ...r, reason: 'already posted' })));
    plan.writes -= done.length;
    g.requests = g.change.length;
  }
}

/** What a plan shows: per operation and project, the errors to change, those already so, and the writes. */
export function planView(plan: WritebackPlan) {
  return {
    input_hash: plan.input_hash,
    rows: plan.rows,
    reads: plan.reads,
    writes: plan.writes,
    groups: plan.groups.map((g) => ({
      project_id: g.project_id,
      operation: g.operation,
      params: g.params,
      ...(g.assignee ? { assignee: g.assignee } : {}),
      change: g.change.map((r) => ({ row: r.row, error_id: r.error_id })),
      skip: g.skip.map((r) => ({ row: r.row, error_id: r.error_id, reason: r.reason })),
      missing: g.missing.map((r) => ({ row: r.row, error_id: r.error_id, message: r.message })),
      requests: g.requests,
    })),
  };
}
