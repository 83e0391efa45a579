import type { AuditEntry, AuditEntryInput, AuditPage, AuditRepository } from '../audit.js';
import { SqliteRepo } from './base.js';

const COLUMNS = 'at, actor, actor_kind, method, route, resource_id, fields, status, outcome, permission, kind, address';

type Row = Omit<AuditEntry, 'fields'> & { fields: string };

export class SqliteAudit extends SqliteRepo implements AuditRepository {
  async append(e: AuditEntryInput): Promise<void> {
    this.tx(() =>
      this.stmt(`INSERT INTO audit_log (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
        e.at,
        e.actor,
        e.actor_kind,
        e.method,
        e.route,
        e.resource_id,
        JSON.stringify(e.fields),
        e.status,
        e.outcome,
        e.permission,
        e.kind,
        e.address,
      ),
    );
  }

  async list(q: { limit: number; before?: number; actor?: string }): Promise<AuditPage> {
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT id, ${COLUMNS} FROM audit_log WHERE (? IS NULL OR id < ?) AND (? IS NULL OR actor = ?)
           ORDER BY id DESC LIMIT ?`,
        ).all(q.before ?? null, q.before ?? null, q.actor ?? null, q.actor ?? null, q.limit + 1) as Row[],
    );
    const entries = rows.slice(0, q.limit).map((r) => ({ ...r, fields: JSON.parse(r.fields) as string[] }));
    return { entries, next_before: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }
}
