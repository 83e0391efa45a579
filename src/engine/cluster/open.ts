import { SnagError } from '../../core/errors.js';
import { graphileQueue } from '../../queue/graphile.js';
import { postgresQueue } from '../../queue/postgres.js';
import type { JobQueue } from '../../queue/port.js';
import { DATABASE_URL_ENV, parseStoreDatabaseUrl } from '../../store/postgres/url.js';

export const QUEUE_LEASE_ENV = 'SNAGSYNC_QUEUE_LEASE_MS';
/** `pgboss` (a queue per token) or `graphile` (graphile-worker's named queues: thousands of tokens). */
export const QUEUE_KIND_ENV = 'SNAGSYNC_QUEUE';

export interface OpenRunQueueOptions {
  /** Default: SNAGSYNC_QUEUE_LEASE_MS, else 60 s — a dead worker's unit is taken again within about a minute. */
  leaseMs?: number;
  onError?: (err: Error) => void;
}

/** True when runs go through the queue: a PostgreSQL store is configured. */
export function queueConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[DATABASE_URL_ENV]?.trim());
}

/**
 * The cluster's queue, in the store's database: pg-boss's tables and ours in the schema `<store schema>_queue`
 * (`snagsync_queue` by default), beside the store's.
 */
export async function openRunQueue(env: NodeJS.ProcessEnv, options: OpenRunQueueOptions = {}): Promise<JobQueue> {
  const raw = env[DATABASE_URL_ENV]?.trim();
  if (!raw)
    throw new SnagError('config', 'Workers need a PostgreSQL store: no database URL is configured.', {
      hint: `Set ${DATABASE_URL_ENV}=postgres://… (or pass --database-url) — the same for every process of the cluster.`,
    });
  const url = parseStoreDatabaseUrl(raw);
  const fromEnv = Number(env[QUEUE_LEASE_ENV]);
  const leaseMs = options.leaseMs ?? (Number.isFinite(fromEnv) && fromEnv >= 1000 ? fromEnv : 60_000);
  const kind = env[QUEUE_KIND_ENV]?.trim() || 'pgboss';
  if (kind !== 'pgboss' && kind !== 'graphile')
    throw new SnagError('config', `${QUEUE_KIND_ENV} is "${kind}": the job queue is pgboss or graphile.`, {
      hint: `Set ${QUEUE_KIND_ENV} to the same value for every process of the cluster, or leave it unset (pgboss).`,
    });
  // Both keep their tables in one schema: the libraries' table names differ, and snagsync's own are the same.
  const open = kind === 'graphile' ? graphileQueue : postgresQueue;
  try {
    return await open({
      connectionString: url.connectionString,
      schema: `${url.schema}_queue`.slice(0, 63),
      leaseMs,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  } catch (err) {
    throw new SnagError('config', `The job queue could not be opened at ${url.display}: ${(err as Error).message}`, {
      hint: 'Check that PostgreSQL is running and the URL is right.',
      cause: err,
    });
  }
}
