import { hostname } from 'node:os';
import { newId } from '../../core/ids.js';
import { toIso } from '../../core/time.js';
import { applying, notFound, staleApplyError } from '../errors.js';
import { nameKey, validateDescription, validateName } from '../names.js';
import {
  DataSinkCreate,
  DataSinkRecord,
  DataSinkUpdate,
  SinkRunRecord,
  type SinkRepository,
  type SinkRunFinish,
} from '../sinks.js';
import { isStaleRun } from '../stale.js';
import { parseInput, parseRow } from '../validate.js';
import { isoOrNull, NamedPgRepo } from './base.js';
import type { Queryable } from './connection.js';

const COLUMNS = 'id, name, description, credential_id, config, last_run_id, created_at, updated_at';
const RUN_COLUMNS = 'id, sink_id, status, plan, report, error, pid, hostname, started_at, finished_at';

export class PgSinks extends NamedPgRepo<DataSinkRecord> implements SinkRepository {
  protected readonly table = 'data_sinks';
  protected readonly entity = 'destination';
  protected readonly columns = COLUMNS;

  async create(input: DataSinkCreate): Promise<DataSinkRecord> {
    const s = parseInput(DataSinkCreate, input, 'destination');
    const name = validateName(s.name, 'destination');
    const description = validateDescription(s.description, 'destination');
    const id = s.id ?? newId('snk');
    try {
      return await this.tx(async (db) => {
        await this.assertNameFree(name, null, db);
        await this.assertCredential(s.credential_id, db);
        await this.q(
          `INSERT INTO data_sinks (${COLUMNS}, name_key) VALUES ($1, $2, $3, $4, $5, NULL, $6, $6, $7)`,
          [id, name, description, s.credential_id, JSON.stringify(s.config), toIso(Date.now()), nameKey(name)],
          db,
        );
        return this.mustGet(id, db);
      });
    } catch (err) {
      throw await this.nameRace(err, name, null);
    }
  }

  async list(): Promise<DataSinkRecord[]> {
    const rows = await this.q(`SELECT ${COLUMNS} FROM data_sinks ORDER BY name_key COLLATE "C"`);
    return rows.map((r) => this.toModel(r));
  }

  async update(id: string, patch: DataSinkUpdate): Promise<DataSinkRecord> {
    const p = parseInput(DataSinkUpdate, patch, 'destination update');
    try {
      return await this.tx(async (db) => {
        if (!(await this.row(id, db, true))) throw notFound('destination', id);
        const sets: string[] = [];
        const params: unknown[] = [id, toIso(Date.now())];
        const set = (column: string, value: unknown) => {
          params.push(value);
          sets.push(`${column} = $${params.length}`);
        };
        if (p.name !== undefined) {
          const name = validateName(p.name, 'destination');
          await this.assertNameFree(name, id, db);
          set('name', name);
          set('name_key', nameKey(name));
        }
        if (p.description !== undefined) set('description', validateDescription(p.description, 'destination'));
        if (p.credential_id !== undefined) {
          await this.assertCredential(p.credential_id, db);
          set('credential_id', p.credential_id);
        }
        if (p.config !== undefined) set('config', JSON.stringify(p.config));
        if (sets.length)
          await this.q(`UPDATE data_sinks SET ${sets.join(', ')}, updated_at = $2 WHERE id = $1`, params, db);
        return this.mustGet(id, db);
      });
    } catch (err) {
      throw p.name === undefined ? err : await this.nameRace(err, p.name.trim(), id);
    }
  }

  async remove(id: string): Promise<DataSinkRecord> {
    return this.tx(async (db) => {
      const row = await this.row(id, db, true);
      if (!row) throw notFound('destination', id);
      const live = await this.liveRun(id, db);
      if (live) throw applying(String(row.name), live);
      await this.q('DELETE FROM data_sinks WHERE id = $1', [id], db);
      return this.toModel(row);
    });
  }

  async startRun(sinkId: string, plan: Record<string, unknown>): Promise<SinkRunRecord> {
    const id = newId('wbr');
    await this.tx(async (db) => {
      // Locked: a second apply of the same sink waits here, then finds this one live.
      const row = await this.row(sinkId, db, true);
      if (!row) throw notFound('destination', sinkId);
      const live = await this.liveRun(sinkId, db);
      if (live) throw applying(String(row.name), live);
      await this.q(
        `INSERT INTO sink_runs (${RUN_COLUMNS}) VALUES ($1, $2, 'running', $3, NULL, NULL, $4, $5, now(), NULL)`,
        [id, sinkId, JSON.stringify(plan), process.pid, hostname()],
        db,
      );
      await this.q('UPDATE data_sinks SET last_run_id = $1 WHERE id = $2', [id, sinkId], db);
    });
    return (await this.getRun(id))!;
  }

  async finishRun(runId: string, result: SinkRunFinish): Promise<SinkRunRecord> {
    const [row] = await this.q(
      `UPDATE sink_runs SET status = $2, report = $3, error = $4, finished_at = now() WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
      [
        runId,
        result.status,
        result.report ? JSON.stringify(result.report) : null,
        result.error ? JSON.stringify(result.error) : null,
      ],
    );
    if (!row) throw notFound('write-back run', runId);
    return this.toRun(row);
  }

  async failStale(sinkId: string): Promise<void> {
    await this.tx(async (db) => {
      await this.liveRun(sinkId, db);
    });
  }

  async getRun(runId: string): Promise<SinkRunRecord | null> {
    const [row] = await this.q(`SELECT ${RUN_COLUMNS} FROM sink_runs WHERE id = $1`, [runId]);
    return row ? this.toRun(row) : null;
  }

  async listRuns(sinkId: string, limit = 50): Promise<SinkRunRecord[]> {
    const rows = await this.q(
      `SELECT ${RUN_COLUMNS} FROM sink_runs WHERE sink_id = $1 ORDER BY started_at DESC, id COLLATE "C" DESC LIMIT $2`,
      [sinkId, limit],
    );
    return rows.map((r) => this.toRun(r));
  }

  /** The id of the sink's run in progress, after failing one whose process is gone. */
  private async liveRun(sinkId: string, db: Queryable): Promise<string | undefined> {
    const running = await this.q(
      `SELECT id, status, pid, hostname, started_at FROM sink_runs WHERE sink_id = $1 AND status = 'running'`,
      [sinkId],
      db,
    );
    for (const r of running) {
      const liveness = {
        status: String(r.status),
        pid: r.pid === null ? null : Number(r.pid),
        hostname: (r.hostname as string | null) ?? null,
        heartbeat_at: null,
        started_at: isoOrNull(r.started_at) ?? '',
      };
      // Only a dead process makes a write-back run stale: an apply sends no heartbeat, and may wait on the rate limit.
      if (isStaleRun(liveness, new Date(), Number.POSITIVE_INFINITY)) {
        await this.q(
          `UPDATE sink_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`,
          [r.id, JSON.stringify(staleApplyError())],
          db,
        );
      } else return String(r.id);
    }
    return undefined;
  }

  /** Locked in share mode: the credential cannot be removed until this transaction ends. */
  private async assertCredential(credentialId: string, db: Queryable): Promise<void> {
    if ((await this.q('SELECT 1 FROM credentials WHERE id = $1 FOR SHARE', [credentialId], db)).length === 0)
      throw notFound('credential', credentialId);
  }

  protected toModel(row: Record<string, unknown>): DataSinkRecord {
    return parseRow(
      DataSinkRecord,
      { ...row, created_at: isoOrNull(row.created_at), updated_at: isoOrNull(row.updated_at) },
      'destination',
      this.location,
    );
  }

  private toRun(row: Record<string, unknown>): SinkRunRecord {
    return parseRow(
      SinkRunRecord,
      {
        ...row,
        pid: row.pid === null ? null : Number(row.pid),
        started_at: isoOrNull(row.started_at),
        finished_at: isoOrNull(row.finished_at),
      },
      'write-back run',
      this.location,
    );
  }
}
