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
    // Only the conditions given (see the SQLite store: the cursor must bound the index scan).
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.before !== undefined) add((p) => `id < ${p}::bigint`, q.before);
    if (q.actor !== undefined) add((p) => `actor = ${p}`, q.actor);
    if (q.resource !== undefined) add((p) => `(resource_id = ${p} OR strpos(route, ${p}) > 0)`, q.resource);
    if (q.method !== undefined) add((p) => `method = ${p}`, q.method);
    if (q.outcome !== undefined) add((p) => `outcome = ${p}`, q.outcome);
    if (q.since !== undefined) add((p) => `at >= ${p}::timestamptz`, q.since);
    if (q.until !== undefined) add((p) => `at < ${p}::timestamptz`, q.until);
    params.push(q.limit + 1);
    const rows = (
      await this.q(
        `SELECT id, ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT $${params.length}`,
        params,
      )
    ).map(toEntry);
    const entries = rows.slice(0, q.limit);
    return { entries, next_before: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }
}
