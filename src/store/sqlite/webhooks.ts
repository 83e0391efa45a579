import { newId } from '../../core/ids.js';
import type {
  WebhookCounts,
  WebhookInboxEntry,
  WebhookReceipt,
  WebhookRepository,
  WebhookSettings,
} from '../webhooks.js';
import { SqliteRepo } from './base.js';

const SETTINGS = 'source_id, enabled, secret_envelope, secret_key_id, secret_sha256, created_at, rotated_at';
const INBOX = 'id, source_id, received_at, body, body_sha256, trigger, applied_at, ignored, attempts, error';

type SettingsRow = Omit<WebhookSettings, 'enabled'> & { enabled: number };

export class SqliteWebhooks extends SqliteRepo implements WebhookRepository {
  async get(sourceId: string): Promise<WebhookSettings | null> {
    const row = this.guard(
      () =>
        this.stmt(`SELECT ${SETTINGS} FROM webhook_settings WHERE source_id = ?`).get(sourceId) as
          | SettingsRow
          | undefined,
    );
    return row ? { ...row, enabled: row.enabled === 1 } : null;
  }

  async list(): Promise<WebhookSettings[]> {
    return this.guard(
      () => this.stmt(`SELECT ${SETTINGS} FROM webhook_settings ORDER BY source_id`).all() as SettingsRow[],
    ).map((row) => ({ ...row, enabled: row.enabled === 1 }));
  }

  async save(s: WebhookSettings): Promise<WebhookSettings> {
    this.tx(() =>
      this.stmt(
        `INSERT INTO webhook_settings (${SETTINGS}) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_id) DO UPDATE SET enabled = excluded.enabled, secret_envelope = excluded.secret_envelope,
           secret_key_id = excluded.secret_key_id, secret_sha256 = excluded.secret_sha256, rotated_at = excluded.rotated_at`,
      ).run(
        s.source_id,
        s.enabled ? 1 : 0,
        s.secret_envelope,
        s.secret_key_id,
        s.secret_sha256,
        s.created_at,
        s.rotated_at,
      ),
    );
    return (await this.get(s.source_id))!;
  }

  async setEnabled(sourceId: string, enabled: boolean): Promise<WebhookSettings | null> {
    this.tx(() =>
      this.stmt('UPDATE webhook_settings SET enabled = ? WHERE source_id = ?').run(enabled ? 1 : 0, sourceId),
    );
    return this.get(sourceId);
  }

  async receive(e: {
    source_id: string;
    body: string;
    body_sha256: string;
    trigger: string | null;
    received_at: string;
  }): Promise<WebhookReceipt> {
    return this.tx(() => {
      const id = newId('whk');
      const r = this.stmt(
        `INSERT INTO webhook_inbox (id, source_id, received_at, body, body_sha256, trigger)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, body_sha256) DO NOTHING`,
      ).run(id, e.source_id, e.received_at, e.body, e.body_sha256, e.trigger);
      if (r.changes === 1) return { id, duplicate: false };
      const held = this.stmt('SELECT id FROM webhook_inbox WHERE source_id = ? AND body_sha256 = ?').get(
        e.source_id,
        e.body_sha256,
      ) as { id: string };
      return { id: held.id, duplicate: true };
    });
  }

  async pending(o: { maxAttempts: number; limit: number; sourceId?: string }): Promise<WebhookInboxEntry[]> {
    return this.guard(
      () =>
        this.stmt(
          `SELECT ${INBOX} FROM webhook_inbox WHERE applied_at IS NULL AND attempts < ?
           AND (? IS NULL OR source_id = ?) ORDER BY received_at, id LIMIT ?`,
        ).all(o.maxAttempts, o.sourceId ?? null, o.sourceId ?? null, o.limit) as WebhookInboxEntry[],
    );
  }

  async getEntry(id: string): Promise<WebhookInboxEntry | null> {
    return this.guard(
      () =>
        (this.stmt(`SELECT ${INBOX} FROM webhook_inbox WHERE id = ?`).get(id) as WebhookInboxEntry | undefined) ?? null,
    );
  }

  async markApplied(id: string, at: string, ignored: string | null): Promise<void> {
    this.tx(() =>
      this.stmt(
        'UPDATE webhook_inbox SET applied_at = ?, ignored = ?, attempts = attempts + 1, error = NULL WHERE id = ?',
      ).run(at, ignored, id),
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    this.tx(() => this.stmt('UPDATE webhook_inbox SET attempts = attempts + 1, error = ? WHERE id = ?').run(error, id));
  }

  async prune(before: string): Promise<number> {
    return this.tx(
      () => this.stmt('DELETE FROM webhook_inbox WHERE applied_at IS NOT NULL AND applied_at < ?').run(before).changes,
    );
  }

  async counts(sourceId: string, maxAttempts: number): Promise<WebhookCounts> {
    const row = this.guard(
      () =>
        this.stmt(
          `SELECT max(received_at) AS last_received_at, count(*) AS received,
             coalesce(sum(CASE WHEN applied_at IS NULL AND error IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed,
             coalesce(sum(CASE WHEN applied_at IS NULL AND attempts < ? THEN 1 ELSE 0 END), 0) AS pending
           FROM webhook_inbox WHERE source_id = ?`,
        ).get(maxAttempts, sourceId) as WebhookCounts,
    );
    return row;
  }
}
