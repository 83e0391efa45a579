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
    // `at` is stored as toISOString() text: compared as text, after normalising the bounds the same way.
    const since = q.since ? new Date(q.since).toISOString() : null;
    const until = q.until ? new Date(q.until).toISOString() : null;
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT id, ${COLUMNS} FROM audit_log WHERE (@before IS NULL OR id < @before) AND (@actor IS NULL OR actor = @actor)
           AND (@resource IS NULL OR resource_id = @resource OR instr(route, @resource) > 0)
           AND (@method IS NULL OR method = @method) AND (@outcome IS NULL OR outcome = @outcome)
           AND (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until)
           ORDER BY id DESC LIMIT @limit`,
        ).all({
          before: q.before ?? null,
          actor: q.actor ?? null,
          resource: q.resource ?? null,
          method: q.method ?? null,
          outcome: q.outcome ?? null,
          since,
          until,
          limit: q.limit + 1,
        }) as Row[],
    );
    const entries = rows.slice(0, q.limit).map((r) => ({ ...r, fields: JSON.parse(r.fields) as string[] }));
    return { entries, next_before: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }
}
