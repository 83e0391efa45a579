import type { AuditEntry, AuditEntryInput, AuditPage, AuditQuery, AuditRepository } from '../audit.js';
import { isoOrNull, num, PgRepo } from './base.js';

const COLUMNS = 'at, actor, actor_kind, method, route, resource_id, fields, status, outcome, permission, kind, address';

function toEntry(r: Record<string, unknown>): AuditEntry {
  return {
    id: num(r.id),
    at: isoOrNull(r.at) ?? '',
    actor: String(r.actor),
    actor_kind: r.actor_kind as AuditEntry['actor_kind'],
    method: String(r.method),
    route: String(r.route),
    resource_id: (r.resource_id as string | null) ?? null,
    fields: r.fields as string[],
    status: num(r.status),
    outcome: r.outcome as AuditEntry['outcome'],
    permission: (r.permission as string | null) ?? null,
    kind: r.kind as AuditEntry['kind'],
    address: (r.address as string | null) ?? null,
  };
}

export class PgAudit extends PgRepo implements AuditRepository {
  async append(e: AuditEntryInput): Promise<void> {
    await this.q(`INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
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
    ]);
  }

  async list(q: AuditQuery): Promise<AuditPage> {
    const rows = (
      await this.q(
        `SELECT id, ${COLUMNS} FROM audit_log WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor = $2)
         AND ($4::text IS NULL OR resource_id = $4 OR strpos(route, $4) > 0)
         AND ($5::text IS NULL OR method = $5) AND ($6::text IS NULL OR outcome = $6)
         AND ($7::timestamptz IS NULL OR at >= $7) AND ($8::timestamptz IS NULL OR at < $8)
         ORDER BY id DESC LIMIT $3`,
        [
          q.before ?? null,
          q.actor ?? null,
          q.limit + 1,
          q.resource ?? null,
          q.method ?? null,
          q.outcome ?? null,
          q.since ?? null,
          q.until ?? null,
        ],
      )
    ).map(toEntry);
    const entries = rows.slice(0, q.limit);
    return { entries, next_before: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }
}
