import { hostname } from 'node:os';

export const DEFAULT_STALE_AFTER_MS = 120_000;

/** Whether a process exists (signal 0 only checks). EPERM means it exists but belongs to someone else. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Liveness {
  status: string;
  pid: number | null;
  hostname: string | null;
  heartbeat_at: string | null;
  started_at: string;
}

/**
 * A `running` run is stale when its process is known to be gone (same host, pid no longer exists: killed, crashed,
 * machine rebooted) or when it has not sent a heartbeat for `staleAfterMs` (covers another host, and a pid reused by
 * an unrelated process).
 */
export function isStaleRun(
  run: Liveness,
  now: Date = new Date(),
  staleAfterMs: number = DEFAULT_STALE_AFTER_MS,
): boolean {
  if (run.status !== 'running') return false;
  if (run.pid !== null && run.hostname === hostname() && run.pid !== process.pid && !pidAlive(run.pid)) return true;
  const last = Date.parse(run.heartbeat_at ?? run.started_at);
  return Number.isFinite(last) && now.getTime() - last > staleAfterMs;
}
