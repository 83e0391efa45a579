import { SnagError } from '../../core/errors.js';
import { postgresQueue } from '../../queue/postgres.js';
import type { JobQueue } from '../../queue/port.js';
import { DATABASE_URL_ENV, parseStoreDatabaseUrl } from '../../store/postgres/url.js';

export const QUEUE_LEASE_ENV = 'SNAGSYNC_QUEUE_LEASE_MS';

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
  try {
    return await postgresQueue({
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
