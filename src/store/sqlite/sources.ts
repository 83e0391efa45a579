import { SnagError } from '../../core/errors.js';
import { toIso } from '../../core/time.js';
import { notFound, sourceWithoutCredential } from '../errors.js';
import { Source, SourceCreate, SourceUpdate } from '../models.js';
import { nameKey, validateName } from '../names.js';
import { newId } from '../../core/ids.js';
import type { SourceListFilter, SourceRepository } from '../repository.js';
import { isStaleRun, type Liveness } from '../stale.js';
import { parseInput, parseJsonColumn, parseRow } from '../validate.js';
import { NamedSqliteRepo } from './base.js';

interface SourceRow {
  id: string;
  name: string;
  credential_id: string | null;
  status: string;
  status_reason: string | null;
  config: string;
  destination: string;
  schedule: string | null;
  next_run_at: string | null;
  last_run_id: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, name, credential_id, status, status_reason, config, destination, schedule, next_run_at, last_run_id,
  created_at, updated_at`;

/** What the credentials repository needs from sources inside its own transaction (synchronous on purpose). */
export interface SourceRows {
  byCredentialNow(credentialId: string): Source[];
  disableByCredentialNow(credentialId: string, reason: string): Source[];
}

export class SqliteSources extends NamedSqliteRepo<SourceRow, Source> implements SourceRepository, SourceRows {
  protected readonly table = 'sources';
  protected readonly entity = 'source';
  protected readonly columns = COLUMNS;

  async create(input: SourceCreate): Promise<Source> {
    const s = parseInput(SourceCreate, input, 'source');
    const name = validateName(s.name, 'source');
    const id = s.id ?? newId('src');
    const now = toIso(Date.now());
    this.tx(() => {
      this.assertNameFree(name, null);
      this.assertCredential(s.credential_id);
      this.stmt(
        `INSERT INTO sources (${COLUMNS}, name_key) VALUES (@id, @name, @credential_id, @status, NULL, @config, @destination,
         @schedule, @next_run_at, NULL, @created_at, @updated_at, @name_key)`,
      ).run({
        id,
        name,
        name_key: nameKey(name),
        credential_id: s.credential_id,
        status: s.status,
        config: JSON.stringify(s.config),
        destination: s.destination,
        schedule: s.schedule,
        next_run_at: s.next_run_at,
        created_at: now,
        updated_at: now,
      });
    });
    return this.mustGet(id);
  }

  async list(filter: SourceListFilter = {}): Promise<Source[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.credentialId !== undefined) {
      where.push('credential_id = @credentialId');
      params.credentialId = filter.credentialId;
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    const sql = `SELECT ${COLUMNS} FROM sources ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name_key`;
    return this.guard(() => this.stmt(sql).all(params) as SourceRow[]).map((r) => this.toModel(r));
  }

  async update(id: string, patch: SourceUpdate): Promise<Source> {
    const p = parseInput(SourceUpdate, patch, 'source update');
    this.tx(() => {
      const current = this.row(id);
      if (!current) throw notFound('source', id);
      const sets: string[] = [];
      const params: Record<string, unknown> = { id, updated_at: toIso(Date.now()) };
      const set = (column: string, value: unknown) => {
        sets.push(`${column} = @${column}`);
        params[column] = value;
      };
      if (p.name !== undefined) {
        const name = validateName(p.name, 'source');
        this.assertNameFree(name, id);
        set('name', name);
        set('name_key', nameKey(name));
      }
      if (p.credential_id !== undefined) {
        this.assertCredential(p.credential_id);
        set('credential_id', p.credential_id);
      }
      if (p.status !== undefined) {
        const credentialId = p.credential_id ?? current.credential_id;
        if (p.status !== 'disabled' && credentialId === null) {
          throw sourceWithoutCredential(current.name, p.status);
        }
        set('status', p.status);
        // A reason written by snagsync (e.g. "credential removed") no longer applies once someone changes the status.
        if (p.status_reason === undefined) set('status_reason', null);
      }
      if (p.status_reason !== undefined) set('status_reason', p.status_reason);
      if (p.config !== undefined) set('config', JSON.stringify(p.config));
      if (p.destination !== undefined) set('destination', p.destination);
      if (p.schedule !== undefined) set('schedule', p.schedule);
      if (p.next_run_at !== undefined) set('next_run_at', p.next_run_at);
      if (sets.length === 0) return;
      sets.push('updated_at = @updated_at');
      this.stmt(`UPDATE sources SET ${sets.join(', ')} WHERE id = @id`).run(params);
    });
    return this.mustGet(id);
  }

  async remove(id: string): Promise<Source> {
    return this.tx(() => {
      const row = this.row(id);
      if (!row) throw notFound('source', id);
      const running = this.stmt(
        `SELECT id, status, pid, hostname, heartbeat_at, started_at FROM runs WHERE source_id = ? AND status = 'running'`,
      ).all(id) as Array<Liveness & { id: string }>;
      const live = running.find((r) => !isStaleRun(r));
      if (live) {
        throw new SnagError('conflict', `The source "${row.name}" is being synced right now (run ${live.id}).`, {
          hint: 'Wait for the run to finish (or stop it), then remove the source.',
        });
      }
      this.stmt('DELETE FROM sources WHERE id = ?').run(id);
      return this.toModel(row);
    });
  }

  async countByCredential(credentialId: string): Promise<number> {
    return this.guard(
      () =>
        (this.stmt('SELECT count(*) AS n FROM sources WHERE credential_id = ?').get(credentialId) as { n: number }).n,
    );
  }

  async countsByCredential(): Promise<Map<string, number>> {
    const rows = this.guard(
      () =>
        this.stmt(
          'SELECT credential_id AS c, count(*) AS n FROM sources WHERE credential_id IS NOT NULL GROUP BY credential_id',
        ).all() as Array<{
          c: string;
          n: number;
        }>,
    );
    return new Map(rows.map((r) => [r.c, r.n]));
  }

  async listDue(now: Date = new Date()): Promise<Source[]> {
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT ${COLUMNS} FROM sources WHERE status = 'active' AND schedule IS NOT NULL AND next_run_at IS NOT NULL
           AND next_run_at <= ? ORDER BY next_run_at`,
        ).all(toIso(now)) as SourceRow[],
    );
    return rows.map((r) => this.toModel(r));
  }

  async claimDue(id: string, due: string, next: string | null): Promise<boolean> {
    const r = this.guard(() =>
      this.stmt('UPDATE sources SET next_run_at = ? WHERE id = ? AND next_run_at = ?').run(
        next,
        id,
        toIso(Date.parse(due)),
      ),
    );
    return r.changes === 1;
  }

  async disableByCredential(credentialId: string, reason: string): Promise<Source[]> {
    return this.disableByCredentialNow(credentialId, reason);
  }

  byCredentialNow(credentialId: string): Source[] {
    const rows = this.stmt(`SELECT ${COLUMNS} FROM sources WHERE credential_id = ? ORDER BY name_key`).all(
      credentialId,
    ) as SourceRow[];
    return rows.map((r) => this.toModel(r));
  }

  /** Disables the credential's sources and detaches them from it (the credential is about to be deleted). */
  disableByCredentialNow(credentialId: string, reason: string): Source[] {
    return this.tx(() => {
      const ids = this.byCredentialNow(credentialId).map((s) => s.id);
      this.stmt(
        `UPDATE sources SET status = 'disabled', status_reason = ?, credential_id = NULL, updated_at = ? WHERE credential_id = ?`,
      ).run(reason, toIso(Date.now()), credentialId);
      return ids.map((id) => this.mustGet(id));
    });
  }

  private assertCredential(credentialId: string): void {
    if (!this.stmt('SELECT 1 FROM credentials WHERE id = ?').get(credentialId))
      throw notFound('credential', credentialId);
  }

  protected toModel(row: SourceRow): Source {
    return parseRow(Source, { ...row, config: parseJsonColumn(row.config, 'config') }, 'source', this.location);
  }
}
