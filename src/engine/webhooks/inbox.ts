import { toSnagError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { toIso } from '../../core/time.js';
import { openDestination } from '../../destinations/index.js';
import type { Destination } from '../../destinations/types.js';
import type { Runtime } from '../../runtime.js';
import type { Source } from '../../store/models.js';
import { eventRecord } from '../../streams/events.js';
import { clientOptionsFromEnv, engineClient } from '../client.js';
import { applyMessage, type FullEventReader } from './apply.js';

/**
 * A source's reader of full event reports (only a source that syncs them), made once a pass: the credential's token
 * unsealed here as a run unseals it, its requests through the token's shared rate limiter (the webhook's GET waits
 * its turn with the syncs of the same token). A read that fails leaves the summary in place.
 */
async function fullEventReader(runtime: Runtime, source: Source, logger: Logger): Promise<FullEventReader | undefined> {
  if (source.config.full_reports !== true || !source.credential_id) return undefined;
  const credential = await runtime.store.credentials.findByNameOrId(source.credential_id);
  const token = await runtime.vault.unseal(credential);
  const api = engineClient(
    token,
    credential.host,
    clientOptionsFromEnv(runtime.env),
    () => undefined,
    new AbortController().signal,
  );
  return async (projectId, eventId) => {
    try {
      return eventRecord(await api.events.get(projectId, eventId), projectId);
    } catch (err) {
      logger.warn(
        { source_id: source.id, error: toSnagError(err).message },
        'full event report not read; summary kept',
      );
      return null;
    }
  };
}

/**
 * Applies the inbox: messages received by `serve` are stored first, then applied here, one at a time and oldest
 * first (a destination never sees two writes of one source race). `start` replays what a previous process stored
 * but never applied; a message that fails is retried at each later pass until `maxAttempts`, its last error kept;
 * applied messages are pruned after `retentionMs` (until then a redelivery is recognised as a duplicate).
 */

export interface WebhookInboxOptions {
  /** Attempts before a failing message is left alone (its error stays in the inbox); default 5. */
  maxAttempts?: number;
  /** How long applied messages are kept (the window duplicates are recognised in); default 7 days. */
  retentionMs?: number;
  /** How often failed messages are retried and old ones pruned; default 30 s. */
  retryMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export class WebhookInbox {
  readonly maxAttempts: number;
  private readonly retentionMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly logger: Logger,
    options: WebhookInboxOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.retryMs = options.retryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Replays what is pending now, then retries and prunes every `retryMs`. */
  start(): void {
    this.stopped = false;
    this.kick();
    this.timer = setInterval(() => this.kick(), this.retryMs);
    this.timer.unref();
  }

  /** Asks for a pass: one starts now, or right after the one running (a message stored meanwhile is not missed). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => this.logger.error({ err }, 'webhook inbox pass failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops the timer and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.running) await this.running;
  }

  private async fullEvents(
    source: Source,
    readers: Map<string, FullEventReader | undefined>,
  ): Promise<FullEventReader | undefined> {
    if (!readers.has(source.id)) {
      // A credential that cannot be read (deleted, sealed by a rotated key) leaves the messages' summaries in place.
      const reader = await fullEventReader(this.runtime, source, this.logger).catch((err: unknown) => {
        this.logger.warn({ source_id: source.id, error: toSnagError(err).message }, 'full event reports not read');
        return undefined;
      });
      readers.set(source.id, reader);
    }
    return readers.get(source.id);
  }

  /** One pass over every pending message (each tried once), then the prune. */
  private async pass(): Promise<void> {
    const { store } = this.runtime;
    const tried = new Set<string>();
    const dests = new Map<string, Destination>();
    const sources = new Map<string, Source | null>();
    const readers = new Map<string, FullEventReader | undefined>();
    try {
      for (;;) {
        if (this.stopped) return;
        const batch = (await store.webhooks.pending({ maxAttempts: this.maxAttempts, limit: 100 })).filter(
          (e) => !tried.has(e.id),
        );
        if (batch.length === 0) break;
        for (const entry of batch) {
          if (this.stopped) return;
          tried.add(entry.id);
          try {
            if (!sources.has(entry.source_id)) sources.set(entry.source_id, await store.sources.get(entry.source_id));
            const source = sources.get(entry.source_id);
            if (!source) {
              await store.webhooks.markApplied(entry.id, toIso(this.now()), 'the source no longer exists');
              continue;
            }
            let dest = dests.get(source.destination);
            if (!dest) {
              dest = await openDestination(source.destination, { home: this.runtime.home });
              dests.set(source.destination, dest);
            }
            const ignored = await applyMessage(source, dest, entry, await this.fullEvents(source, readers));
            await store.webhooks.markApplied(entry.id, toIso(this.now()), ignored);
          } catch (err) {
            const message = toSnagError(err).message;
            this.logger.warn({ source_id: entry.source_id, inbox_id: entry.id, error: message }, 'webhook not applied');
            await store.webhooks.markFailed(entry.id, message);
          }
        }
      }
      await store.webhooks.prune(toIso(this.now() - this.retentionMs));
    } finally {
      for (const d of dests.values()) await d.close().catch(() => undefined);
    }
  }
}
