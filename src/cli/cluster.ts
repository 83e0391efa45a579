import type { RunExecutor } from '../engine/index.js';
import type { Runtime } from '../runtime.js';

export interface ClusterExecutor {
  executor: RunExecutor;
  close(): Promise<void>;
}

/**
 * With a PostgreSQL store (a database URL configured), the commands that start runs on their own — `serve` (Run now,
 * its scheduler) and `schedule run-due|daemon` — hand them to the workers through the job queue, unless `--local`.
 * Null when runs execute here. Loaded when called: pg-boss is not a cost of the other commands.
 */
export async function clusterExecutor(runtime: Runtime, local: boolean | undefined): Promise<ClusterExecutor | null> {
  const cluster = await import('../engine/cluster/index.js');
  if (local || !cluster.queueConfigured(runtime.env)) return null;
  const queue = await cluster.openRunQueue(runtime.env);
  return { executor: cluster.queuedExecutor(queue), close: () => queue.close() };
}
