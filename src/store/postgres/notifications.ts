import type { NotificationFormat, NotificationRepository, NotificationSettings } from '../notifications.js';
import { isoOrNull, PgRepo } from './base.js';

const COLUMNS =
  'scope, format, url_envelope, url_key_id, url_hint, on_recovery, created_at, updated_at, last_sent_at, last_outcome';

function toModel(r: Record<string, unknown>): NotificationSettings {
  return {
    scope: String(r.scope),
    format: String(r.format) as NotificationFormat,
    url_envelope: String(r.url_envelope),
    url_key_id: String(r.url_key_id),
    url_hint: String(r.url_hint),
    on_recovery: r.on_recovery === true,
    created_at: isoOrNull(r.created_at) ?? '',
    updated_at: isoOrNull(r.updated_at) ?? '',
    last_sent_at: isoOrNull(r.last_sent_at),
    last_outcome: (r.last_outcome as string | null) ?? null,
  };
}

export class PgNotifications extends PgRepo implements NotificationRepository {
  async get(scope: string): Promise<NotificationSettings | null> {
    const [row] = await this.q(`SELECT ${COLUMNS} FROM notifications WHERE scope = $1`, [scope]);
    return row ? toModel(row) : null;
  }

  async list(): Promise<NotificationSettings[]> {
    return (await this.q(`SELECT ${COLUMNS} FROM notifications ORDER BY scope COLLATE "C"`)).map(toModel);
  }

  async save(s: Omit<NotificationSettings, 'last_sent_at' | 'last_outcome'>): Promise<NotificationSettings> {
    const [row] = await this.q(
      `INSERT INTO notifications (scope, format, url_envelope, url_key_id, url_hint, on_recovery, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (scope) DO UPDATE SET format = excluded.format, url_envelope = excluded.url_envelope,
         url_key_id = excluded.url_key_id, on_recovery = excluded.on_recovery, updated_at = excluded.updated_at,
         last_sent_at = CASE WHEN notifications.url_hint = excluded.url_hint THEN notifications.last_sent_at END,
         last_outcome = CASE WHEN notifications.url_hint = excluded.url_hint THEN notifications.last_outcome END,
         url_hint = excluded.url_hint
       RETURNING ${COLUMNS}`,
      [s.scope, s.format, s.url_envelope, s.url_key_id, s.url_hint, s.on_recovery, s.created_at, s.updated_at],
    );
    return toModel(row!);
  }

  async remove(scope: string): Promise<boolean> {
    return (await this.q('DELETE FROM notifications WHERE scope = $1 RETURNING scope', [scope])).length > 0;
  }

  async recordDelivery(scope: string, at: string, outcome: string): Promise<void> {
    await this.q('UPDATE notifications SET last_sent_at = $2, last_outcome = $3 WHERE scope = $1', [
      scope,
      at,
      outcome,
    ]);
  }
}
