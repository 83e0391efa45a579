import type { NotificationRepository, NotificationSettings } from '../notifications.js';
import { SqliteRepo } from './base.js';

const COLUMNS =
  'scope, format, url_envelope, url_key_id, url_hint, on_recovery, created_at, updated_at, last_sent_at, last_outcome';

type Row = Omit<NotificationSettings, 'on_recovery'> & { on_recovery: number };

const toModel = (r: Row): NotificationSettings => ({ ...r, on_recovery: r.on_recovery === 1 });

export class SqliteNotifications extends SqliteRepo implements NotificationRepository {
  async get(scope: string): Promise<NotificationSettings | null> {
    const row = this.guard(
      () => this.stmt(`SELECT ${COLUMNS} FROM notifications WHERE scope = ?`).get(scope) as Row | undefined,
    );
    return row ? toModel(row) : null;
  }

  async list(): Promise<NotificationSettings[]> {
    return this.guard(() => this.stmt(`SELECT ${COLUMNS} FROM notifications ORDER BY scope`).all() as Row[]).map(
      toModel,
    );
  }

  async save(s: Omit<NotificationSettings, 'last_sent_at' | 'last_outcome'>): Promise<NotificationSettings> {
    this.tx(() =>
      this.stmt(
        `INSERT INTO notifications (scope, format, url_envelope, url_key_id, url_hint, on_recovery, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET format = excluded.format, url_envelope = excluded.url_envelope,
           url_key_id = excluded.url_key_id, on_recovery = excluded.on_recovery, updated_at = excluded.updated_at,
           last_sent_at = CASE WHEN notifications.url_hint = excluded.url_hint THEN notifications.last_sent_at END,
           last_outcome = CASE WHEN notifications.url_hint = excluded.url_hint THEN notifications.last_outcome END,
           url_hint = excluded.url_hint`,
      ).run(
        s.scope,
        s.format,
        s.url_envelope,
        s.url_key_id,
        s.url_hint,
        s.on_recovery ? 1 : 0,
        s.created_at,
        s.updated_at,
      ),
    );
    return (await this.get(s.scope))!;
  }

  async remove(scope: string): Promise<boolean> {
    return this.tx(() => this.stmt('DELETE FROM notifications WHERE scope = ?').run(scope).changes > 0);
  }

  async recordDelivery(scope: string, at: string, outcome: string): Promise<void> {
    this.tx(() =>
      this.stmt('UPDATE notifications SET last_sent_at = ?, last_outcome = ? WHERE scope = ?').run(at, outcome, scope),
    );
  }
}
