import { toIso } from '../../core/time.js';
import type { Runtime } from '../../runtime.js';
import { SERVER_SCOPE, type NotificationSettings } from '../../store/notifications.js';
import type { Run } from '../../store/models.js';
import { deliver, noticePayload, type DeliveryOptions, type RunNotice } from './send.js';
import { openNotificationUrl } from './settings.js';

/**
 * When a run has ended: a failed (or partial) run is told to the source's notification and the server's; a succeeded
 * run after a failed one too, as a recovery, where `on_recovery` is on. Called by whoever finished the run, after its
 * record is final, so nothing here can change the run's outcome: every failure becomes the delivery's `last_outcome`.
 */

/** Where the web UI is reachable from a chat message (`https://snagsync.example.com`); no link without it. */
export const PUBLIC_URL_ENV = 'SNAGSYNC_PUBLIC_URL';

const FAILED = new Set(['failed', 'partial']);

export async function notifyRunEnded(
  runtime: Runtime,
  runId: string,
  options: DeliveryOptions = {},
): Promise<Array<{ scope: string; outcome: string }>> {
  try {
    const { store } = runtime;
    const run = await store.runs.get(runId);
    if (!run || run.status === 'running' || run.status === 'cancelled') return [];
    const targets = (
      await Promise.all([store.notifications.get(run.source_id), store.notifications.get(SERVER_SCOPE)])
    ).filter((t): t is NotificationSettings => t !== null);
    if (targets.length === 0) return [];
    let kind: RunNotice['kind'];
    if (FAILED.has(run.status)) kind = 'failure';
    else if (run.status === 'succeeded' && FAILED.has((await previousRun(runtime, run))?.status ?? ''))
      kind = 'recovery';
    else return [];
    const source = await store.sources.get(run.source_id);
    const notice: RunNotice = {
      kind,
      source_name: source?.name ?? run.source_id,
      run_id: run.id,
      status: run.status,
      trigger: run.trigger,
      finished_at: run.finished_at ?? toIso(Date.now()),
      error: run.error ? [run.error.message, run.error.server_hint ?? run.error.hint].filter(Boolean).join(' ') : null,
      run_url: runUrl(runtime.env[PUBLIC_URL_ENV], run.id),
    };
    const retryBase = Number(runtime.env.SNAGSYNC_RETRY_BASE_MS);
    const delivery = {
      ...(Number.isFinite(retryBase) && retryBase > 0 ? { retryBaseMs: retryBase } : {}),
      ...options,
    };
    return await Promise.all(
      targets
        .filter((t) => kind === 'failure' || t.on_recovery)
        .map(async (t) => {
          let outcome: string;
          try {
            outcome = await deliver(openNotificationUrl(runtime, t), noticePayload(t.format, notice), delivery);
          } catch (err) {
            outcome = `not sent: ${(err as Error).message}`;
          }
          await store.notifications.recordDelivery(t.scope, toIso(Date.now()), outcome).catch(() => undefined);
          return { scope: t.scope, outcome };
        }),
    );
  } catch {
    // The run's record is final before this is called; a notification is never worth a failed run.
    return [];
  }
}

/** The source's run before `run` that ended one way or the other (cancelled runs say nothing about health). */
async function previousRun(runtime: Runtime, run: Run): Promise<Run | null> {
  const recent = await runtime.store.runs.list({ sourceId: run.source_id, limit: 20 });
  return (
    recent.find(
      (r) => r.id !== run.id && r.started_at <= run.started_at && r.status !== 'running' && r.status !== 'cancelled',
    ) ?? null
  );
}

function runUrl(base: string | undefined, runId: string): string | null {
  if (!base) return null;
  try {
    const u = new URL(base);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}/runs/${runId}`;
  } catch {
    return null;
  }
}
