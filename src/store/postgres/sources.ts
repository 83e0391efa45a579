import { SnagError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { toIso } from '../../core/time.js';
import { notFound, sourceWithoutCredential } from '../errors.js';
import { Source, SourceCreate, SourceUpdate } from '../models.js';
import { nameKey, validateName } from '../names.js';
import type { SourceListFilter, SourceRepository } from '../repository.js';
import { isStaleRun, type Liveness } from '../stale.js';
import { parseInput, parseRow } from '../validate.js';
import { isoOrNull, NamedPgRepo } from './base.js';
import type { Queryable } from './connection.js';

export const SOURCE_COLUMNS = `id, name, credential_id, status, status_reason, config, destination, schedule, next_run_at, last_run_id,
  created_at, updated_at`;

export class PgSources extends NamedPgRepo<Source> implements SourceRepository {
  protected readonly table = 'sources';
  protected readonly entity = 'source';
  protected readonly columns = SOURCE_COLUMNS;

  async create(input: SourceCreate): Promise<Source> {
    const s = parseInput(SourceCreate, input, 'source');
    const name = validateName(s.name, 'source');
    const id = s.id ?? newId('src');
    const now = toIso(Date.now());
    try {
      return await this.tx(async (db) => {
        await this.assertNameFree(name, null, db);
        await this.assertCredential(s.credential_id, db);
        await this.q(
          `INSERT INTO sources (${SOURCE_COLUMNS}, name_key) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, NULL, $9, $9, $10)`,
          [
            id,
            name,
            s.credential_id,
            s.status,
            JSON.stringify(s.config),
            s.destination,
            s.schedule,
            s.next_run_at,
            now,
            nameKey(name),
          ],
          db,
        );
        return this.mustGet(id, db);
      });
    } catch (err) {
      throw await this.nameRace(err, name, null);
    }
  }

  async list(filter: SourceListFilter = {}): Promise<Source[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.credentialId !== undefined) {
      params.push(filter.credentialId);
      where.push(`credential_id = $${params.length}`);
    }
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    const rows = await this.q(
      `SELECT ${SOURCE_COLUMNS} FROM sources ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name_key COLLATE "C"`,
      params,
    );
    return rows.map((r) => this.toModel(r));
  }

  async update(id: string, patch: SourceUpdate): Promise<Source> {
    const p = parseInput(SourceUpdate, patch, 'source update');
    try {
      return await this.tx(async (db) => {
        const current = await this.row(id, db, true);
        if (!current) throw notFound('source', id);
        const sets: string[] = [];
        const params: unknown[] = [id, toIso(Date.now())];
        const set = (column: string, value: unknown) => {
          params.push(value);
          sets.push(`${column} = $${params.length}`);
        };
        if (p.name !== undefined) {
          const name = validateName(p.name, 'source');
          await this.assertNameFree(name, id, db);
          set('name', name);
          set('name_key', nameKey(name));
        }
        if (p.credential_id !== undefined) {
          await this.assertCredential(p.credential_id, db);
          set('credential_id', p.credential_id);
        }
        if (p.status !== undefined) {
          const credentialId = p.credential_id ?? (current.credential_id as string | null);
          if (p.status !== 'disabled' && credentialId === null) {
            throw sourceWithoutCredential(String(current.name), p.status);
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
        if (sets.length > 0)
          await this.q(`UPDATE sources SET ${sets.join(', ')}, updated_at = $2 WHERE id = $1`, params, db);
        return this.mustGet(id, db);
      });
    } catch (err) {
      throw p.name === undefined ? err : await this.nameRace(err, p.name.trim(), id);
    }
  }

  async remove(id: string): Promise<Source> {
    return this.tx(async (db) => {
      // Locked: a run cannot start on this source (runs.create locks it too) while we decide.
      const row = await this.row(id, db, true);
      if (!row) throw notFound('source', id);
      const running = await this.q<Liveness & { id: string }>(
        `SELECT id, status, pid, hostname, heartbeat_at, started_at FROM runs WHERE source_id = $1 AND status = 'running'`,
        [id],
        db,
      );
      const live = running
        .map((r) => ({ ...r, heartbeat_at: isoOrNull(r.heartbeat_at), started_at: isoOrNull(r.started_at) ?? '' }))
        .find((r) => !isStaleRun(r));
      if (live) {
        throw new SnagError(
          'conflict',
          `The source "${String(row.name)}" is being synced right now (run ${live.id}).`,
          {
            hint: 'Wait for the run to finish (or stop it), then remove the source.',
          },
        );
      }
      await this.q('DELETE FROM sources WHERE id = $1', [id], db);
      return this.toModel(row);
    });
  }

  async countByCredential(credentialId: string): Promise<number> {
    const [row] = await this.q<{ n: number }>('SELECT count(*)::int AS n FROM sources WHERE credential_id = $1', [
      credentialId,
    ]);
    return row?.n ?? 0;
  }

  async countsByCredential(): Promise<Map<string, number>> {
    const rows = await this.q<{ c: string; n: number }>(
      'SELECT credential_id AS c, count(*)::int AS n FROM sources WHERE credential_id IS NOT NULL GROUP BY credential_id',
    );
    return new Map(rows.map((r) => [r.c, r.n]));
  }

  async listDue(now: Date = new Date()): Promise<Source[]> {
    const rows = await this.q(
      `SELECT ${SOURCE_COLUMNS} FROM sources WHERE status = 'active' AND schedule IS NOT NULL AND next_run_at IS NOT NULL
       AND next_run_at <= $1 ORDER BY next_run_at`,
      [toIso(now)],
    );
    return rows.map((r) => this.toModel(r));
  }

  async claimDue(id: string, due: string, next: string | null): Promise<boolean> {
    const rows = await this.q(`UPDATE sources SET next_run_at = $3 WHERE id = $1 AND next_run_at = $2 RETURNING id`, [
      id,
      due,
      next,
    ]);
    return rows.length === 1;
  }

  async disableByCredential(credentialId: string, reason: string): Promise<Source[]> {
    return this.tx((db) => this.disableWithin(db, credentialId, reason));
  }

  async byCredential(credentialId: string, db: Queryable): Promise<Source[]> {
    const rows = await this.q(
      `SELECT ${SOURCE_COLUMNS} FROM sources WHERE credential_id = $1 ORDER BY name_key COLLATE "C" FOR UPDATE`,
      [credentialId],
      db,
    );
    return rows.map((r) => this.toModel(r));
  }

  /** Disables the credential's sources and detaches them from it, inside the caller's transaction. */
  async disableWithin(db: Queryable, credentialId: string, reason: string): Promise<Source[]> {
    const ids = (await this.byCredential(credentialId, db)).map((s) => s.id);
    await this.q(
      `UPDATE sources SET status = 'disabled', status_reason = $1, credential_id = NULL, updated_at = $2 WHERE credential_id = $3`,
      [reason, toIso(Date.now()), credentialId],
      db,
    );
    const out: Source[] = [];
    for (const sid of ids) out.push(await this.mustGet(sid, db));
    return out;
  }

  /** Locked in share mode: the credential cannot be removed until this transaction ends. */
  private async assertCredential(credentialId: string, db: Queryable): Promise<void> {
    if ((await this.q('SELECT 1 FROM credentials WHERE id = $1 FOR SHARE', [credentialId], db)).length === 0)
      throw notFound('credential', credentialId);
  }

  protected toModel(row: Record<string, unknown>): Source {
    return parseRow(
      Source,
      {
        ...row,
        next_run_at: isoOrNull(row.next_run_at),
        created_at: isoOrNull(row.created_at),
        updated_at: isoOrNull(row.updated_at),
      },
      'source',
      this.location,
    );
  }
}
