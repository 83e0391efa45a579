import type { AuditEntry, AuditEntryInput, AuditPage, AuditQuery, AuditRepository } from '../audit.js';
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

  async list(q: AuditQuery): Promise<AuditPage> {
    // Only the conditions given, so that `id < @before` walks the rowid from the cursor (a `@before IS NULL OR …`
    // form scans from the newest entry for every page: an export of a large log was quadratic).
    const where: string[] = [];
    if (q.before !== undefined) where.push('id < @before');
    if (q.actor !== undefined) where.push('actor = @actor');
    if (q.resource !== undefined) where.push('(resource_id = @resource OR instr(route, @resource) > 0)');
    if (q.method !== undefined) where.push('method = @method');
    if (q.outcome !== undefined) where.push('outcome = @outcome');
    // `at` is stored as toISOString() text: compared as text, after normalising the bounds the same way.
    if (q.since !== undefined) where.push('at >= @since');
    if (q.until !== undefined) where.push('at < @until');
    const params = {
      ...(q.before !== undefined ? { before: q.before } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.resource !== undefined ? { resource: q.resource } : {}),
      ...(q.method !== undefined ? { method: q.method } : {}),
      ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
      ...(q.since !== undefined ? { since: new Date(q.since).toISOString() } : {}),
      ...(q.until !== undefined ? { until: new Date(q.until).toISOString() } : {}),
      limit: q.limit + 1,
    };
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT id, ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY id DESC LIMIT @limit`,
        ).all(params) as Row[],
    );
    const entries = rows.slice(0, q.limit).map((r) => ({ ...r, fields: JSON.parse(r.fields) as string[] }));
    return { entries, next_before: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }
}
