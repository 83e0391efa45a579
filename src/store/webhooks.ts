/**
 * Bugsnag webhooks as the store keeps them: each source's webhook secret (sealed, with its digest) and switch, and the
 * inbox of raw messages received. A message is stored before `serve` answers 2xx and applied afterwards, so a crash
 * between the two loses nothing (the inbox is replayed at start) and a redelivery changes nothing (a second copy of
 * the same body for the same source is not stored while the first is kept).
 */

export interface WebhookSettings {
  source_id: string;
  enabled: boolean;
  /** The secret sealed by the vault (an envelope bound to the source id): shown again to whoever manages the source. */
  secret_envelope: string;
  secret_key_id: string;
  /** sha256 of the secret, hex: what a received URL is compared with, without opening the envelope. */
  secret_sha256: string;
  created_at: string;
  /** When the secret was last replaced (equals created_at until the first rotation). */
  rotated_at: string;
}

export interface WebhookInboxEntry {
  id: string;
  source_id: string;
  received_at: string;
  body: string;
  /** sha256 of the body, hex: a redelivery of the same message has the same one. */
  body_sha256: string;
  /** The trigger type the body names (`exception`, `comment`…), or null when it names none. */
  trigger: string | null;
  /** Set once the message was applied, or judged not to apply (`ignored`). */
  applied_at: string | null;
  /** Why the message was stored but not applied (another project, a stream the source does not sync…). */
  ignored: string | null;
  attempts: number;
  /** The last failed attempt's error, in words. */
  error: string | null;
}

export interface WebhookReceipt {
  id: string;
  /** The same body for the same source was already in the inbox: nothing was stored. */
  duplicate: boolean;
}

export interface WebhookCounts {
  /** Newest receipt still in the inbox (applied rows are pruned after the retention). */
  last_received_at: string | null;
  received: number;
  /** Messages that failed to apply at least once and are not applied. */
  failed: number;
  /** Not yet applied and not given up on. */
  pending: number;
}

export interface WebhookRepository {
  get(sourceId: string): Promise<WebhookSettings | null>;
  /** Every source's settings (what `snagsync store migrate` copies; the inbox is not copied). */
  list(): Promise<WebhookSettings[]>;
  /** Inserts or replaces the source's settings (a new secret on creation and on rotation). */
  save(settings: WebhookSettings): Promise<WebhookSettings>;
  setEnabled(sourceId: string, enabled: boolean): Promise<WebhookSettings | null>;
  /** Stores a received message unless the same body of the same source is already stored. */
  receive(entry: {
    source_id: string;
    body: string;
    body_sha256: string;
    trigger: string | null;
    received_at: string;
  }): Promise<WebhookReceipt>;
  /** Messages not applied yet with fewer than `maxAttempts` attempts, oldest first. */
  pending(options: { maxAttempts: number; limit: number; sourceId?: string }): Promise<WebhookInboxEntry[]>;
  getEntry(id: string): Promise<WebhookInboxEntry | null>;
  /** Marks a message applied (or ignored, with the reason) at `at`. */
  markApplied(id: string, at: string, ignored: string | null): Promise<void>;
  /** Counts a failed attempt and keeps its error. */
  markFailed(id: string, error: string): Promise<void>;
  /** Deletes messages applied before `before`; returns how many. */
  prune(before: string): Promise<number>;
  counts(sourceId: string, maxAttempts: number): Promise<WebhookCounts>;
}
