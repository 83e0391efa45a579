import { newId } from '../../core/ids.js';
import type {
  WebhookCounts,
  WebhookInboxEntry,
  WebhookReceipt,
  WebhookRepository,
  WebhookSettings,
} from '../webhooks.js';
import { isoOrNull, num, PgRepo } from './base.js';

const SETTINGS = 'source_id, enabled, secret_envelope, secret_key_id, secret_sha256, created_at, rotated_at';
const INBOX = 'id, source_id, received_at, body, body_sha256, trigger, applied_at, ignored, attempts, error';

function toSettings(r: Record<string, unknown>): WebhookSettings {
  return {
    source_id: String(r.source_id),
    enabled: r.enabled === true,
    secret_envelope: String(r.secret_envelope),
    secret_key_id: String(r.secret_key_id),
    secret_sha256: String(r.secret_sha256),
    created_at: isoOrNull(r.created_at) ?? '',
    rotated_at: isoOrNull(r.rotated_at) ?? '',
  };
}

function toEntry(r: Record<string, unknown>): WebhookInboxEntry {
  return {
    id: String(r.id),
    source_id: String(r.source_id),
    received_at: isoOrNull(r.received_at) ?? '',
    body: String(r.body),
    body_sha256: String(r.body_sha256),
    trigger: (r.trigger as string | null) ?? null,
    applied_at: isoOrNull(r.applied_at),
    ignored: (r.ignored as string | null) ?? null,
    attempts: num(r.attempts),
    error: (r.error as string | null) ?? null,
  };
}

export class PgWebhooks extends PgRepo implements WebhookRepository {
  async get(sourceId: string): Promise<WebhookSettings | null> {
    const [row] = await this.q(`SELECT ${SETTINGS} FROM webhook_settings WHERE source_id = $1`, [sourceId]);
    return row ? toSettings(row) : null;
  }

  async list(): Promise<WebhookSettings[]> {
    return (await this.q(`SELECT ${SETTINGS} FROM webhook_settings ORDER BY source_id COLLATE "C"`)).map(toSettings);
  }

  async save(s: WebhookSettings): Promise<WebhookSettings> {
    const [row] = await this.q(
      `INSERT INTO webhook_settings (${SETTINGS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (source_id) DO UPDATE SET enabled = excluded.enabled, secret_envelope = excluded.secret_envelope,
         secret_key_id = excluded.secret_key_id, secret_sha256 = excluded.secret_sha256, rotated_at = excluded.rotated_at
       RETURNING ${SETTINGS}`,
      [s.source_id, s.enabled, s.secret_envelope, s.secret_key_id, s.secret_sha256, s.created_at, s.rotated_at],
    );
    return toSettings(row!);
  }

  async setEnabled(sourceId: string, enabled: boolean): Promise<WebhookSettings | null> {
    const [row] = await this.q(`UPDATE webhook_settings SET enabled = $2 WHERE source_id = $1 RETURNING ${SETTINGS}`, [
      sourceId,
      enabled,
    ]);
    return row ? toSettings(row) : null;
  }

  async receive(e: {
    source_id: string;
    body: string;
    body_sha256: string;
    trigger: string | null;
    received_at: string;
  }): Promise<WebhookReceipt> {
    const id = newId('whk');
    const inserted = await this.q(
      `INSERT INTO webhook_inbox (id, source_id, received_at, body, body_sha256, trigger)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source_id, body_sha256) DO NOTHING RETURNING id`,
      [id, e.source_id, e.received_at, e.body, e.body_sha256, e.trigger],
    );
    if (inserted.length === 1) return { id, duplicate: false };
    const [held] = await this.q('SELECT id FROM webhook_inbox WHERE source_id = $1 AND body_sha256 = $2', [
      e.source_id,
      e.body_sha256,
    ]);
    // Pruned between the two statements: the copy was applied already, so this one is a duplicate all the same.
    return { id: held ? String(held.id) : id, duplicate: true };
  }

  async pending(o: { maxAttempts: number; limit: number; sourceId?: string }): Promise<WebhookInboxEntry[]> {
    const rows = await this.q(
      `SELECT ${INBOX} FROM webhook_inbox WHERE applied_at IS NULL AND attempts < $1
       AND ($2::text IS NULL OR source_id = $2) ORDER BY received_at, id COLLATE "C" LIMIT $3`,
      [o.maxAttempts, o.sourceId ?? null, o.limit],
    );
    return rows.map(toEntry);
  }

  async getEntry(id: string): Promise<WebhookInboxEntry | null> {
    const [row] = await this.q(`SELECT ${INBOX} FROM webhook_inbox WHERE id = $1`, [id]);
    return row ? toEntry(row) : null;
  }

  async markApplied(id: string, at: string, ignored: string | null): Promise<void> {
    await this.q(
      'UPDATE webhook_inbox SET applied_at = $2, ignored = $3, attempts = attempts + 1, error = NULL WHERE id = $1',
      [id, at, ignored],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.q('UPDATE webhook_inbox SET attempts = attempts + 1, error = $2 WHERE id = $1', [id, error]);
  }

  async prune(before: string): Promise<number> {
    const rows = await this.q(
      'DELETE FROM webhook_inbox WHERE applied_at IS NOT NULL AND applied_at < $1 RETURNING id',
      [before],
    );
    return rows.length;
  }

  async counts(sourceId: string, maxAttempts: number): Promise<WebhookCounts> {
    const [r] = await this.q(
      `SELECT max(received_at) AS last_received_at, count(*) AS received,
         count(*) FILTER (WHERE applied_at IS NULL AND error IS NOT NULL) AS failed,
         count(*) FILTER (WHERE applied_at IS NULL AND attempts < $2) AS pending
       FROM webhook_inbox WHERE source_id = $1`,
      [sourceId, maxAttempts],
    );
    return {
      last_received_at: isoOrNull(r?.last_received_at),
      received: num(r?.received ?? 0),
      failed: num(r?.failed ?? 0),
      pending: num(r?.pending ?? 0),
    };
  }
}
