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
import { parseInput, parseJsonColumn, parseRow } from '../validate.js';
import { NamedSqliteRepo } from './base.js';

interface SinkRow {
  id: string;
  name: string;
  description: string | null;
  credential_id: string | null;
  config: string;
  last_run_id: string | null;
  created_at: string;
  updated_at: string;
}

interface RunRow {
  id: string;
  sink_id: string;
  status: string;
  plan: string;
  report: string | null;
  error: string | null;
  pid: number | null;
  hostname: string | null;
  started_at: string;
  finished_at: string | null;
}

const COLUMNS = 'id, name, description, credential_id, config, last_run_id, created_at, updated_at';
const RUN_COLUMNS = 'id, sink_id, status, plan, report, error, pid, hostname, started_at, finished_at';

export class SqliteSinks extends NamedSqliteRepo<SinkRow, DataSinkRecord> implements SinkRepository {
  protected readonly table = 'data_sinks';
  protected readonly entity = 'destination';
  protected readonly columns = COLUMNS;

  async create(input: DataSinkCreate): Promise<DataSinkRecord> {
    const s = parseInput(DataSinkCreate, input, 'destination');
    const name = validateName(s.name, 'destination');
    const description = validateDescription(s.description, 'destination');
    const id = s.id ?? newId('snk');
    const now = toIso(Date.now());
    this.tx(() => {
      this.assertNameFree(name, null);
      if (!this.stmt('SELECT 1 FROM credentials WHERE id = ?').get(s.credential_id))
        throw notFound('credential', s.credential_id);
      this.stmt(`INSERT INTO data_sinks (${COLUMNS}, name_key) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`).run(
        id,
        name,
        description,
        s.credential_id,
        JSON.stringify(s.config),
        now,
        now,
        nameKey(name),
      );
    });
    return this.mustGet(id);
  }

  async list(): Promise<DataSinkRecord[]> {
    return this.guard(() => this.stmt(`SELECT ${COLUMNS} FROM data_sinks ORDER BY name_key`).all() as SinkRow[]).map(
      (r) => this.toModel(r),
    );
  }

  async update(id: string, patch: DataSinkUpdate): Promise<DataSinkRecord> {
    const p = parseInput(DataSinkUpdate, patch, 'destination update');
    this.tx(() => {
      if (!this.row(id)) throw notFound('destination', id);
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown) => {
        sets.push(`${column} = ?`);
        params.push(value);
      };
      if (p.name !== undefined) {
        const name = validateName(p.name, 'destination');
        this.assertNameFree(name, id);
        set('name', name);
        set('name_key', nameKey(name));
      }
      if (p.description !== undefined) set('description', validateDescription(p.description, 'destination'));
      if (p.credential_id !== undefined) {
        if (!this.stmt('SELECT 1 FROM credentials WHERE id = ?').get(p.credential_id))
          throw notFound('credential', p.credential_id);
        set('credential_id', p.credential_id);
      }
      if (p.config !== undefined) set('config', JSON.stringify(p.config));
      if (!sets.length) return;
      set('updated_at', toIso(Date.now()));
      this.stmt(`UPDATE data_sinks SET ${sets.join(', ')} WHERE id = ?`).run(...params, id);
    });
    return this.mustGet(id);
  }

  async remove(id: string): Promise<DataSinkRecord> {
    return this.tx(() => {
      const row = this.row(id);
      if (!row) throw notFound('destination', id);
      const live = this.liveRun(id);
      if (live) throw applying(row.name, live.id);
      this.stmt('DELETE FROM data_sinks WHERE id = ?').run(id);
      return this.toModel(row);
    });
  }

  async startRun(sinkId: string, plan: Record<string, unknown>): Promise<SinkRunRecord> {
    const id = newId('wbr');
    this.tx(() => {
      const row = this.row(sinkId);
      if (!row) throw notFound('destination', sinkId);
      const live = this.liveRun(sinkId);
      if (live) throw applying(row.name, live.id);
      const now = toIso(Date.now());
      this.stmt(`INSERT INTO sink_runs (${RUN_COLUMNS}) VALUES (?, ?, 'running', ?, NULL, NULL, ?, ?, ?, NULL)`).run(
        id,
        sinkId,
        JSON.stringify(plan),
        process.pid,
        hostname(),
        now,
      );
      this.stmt('UPDATE data_sinks SET last_run_id = ? WHERE id = ?').run(id, sinkId);
    });
    return (await this.getRun(id))!;
  }

  async finishRun(runId: string, result: SinkRunFinish): Promise<SinkRunRecord> {
    this.tx(() => {
      const r = this.stmt('UPDATE sink_runs SET status = ?, report = ?, error = ?, finished_at = ? WHERE id = ?').run(
        result.status,
        result.report ? JSON.stringify(result.report) : null,
        result.error ? JSON.stringify(result.error) : null,
        toIso(Date.now()),
        runId,
      );
      if (r.changes === 0) throw notFound('write-back run', runId);
    });
    return (await this.getRun(runId))!;
  }

  async failStale(sinkId: string): Promise<void> {
    this.tx(() => {
      this.liveRun(sinkId);
    });
  }

  async getRun(runId: string): Promise<SinkRunRecord | null> {
    const row = this.guard(
      () => this.stmt(`SELECT ${RUN_COLUMNS} FROM sink_runs WHERE id = ?`).get(runId) as RunRow | undefined,
    );
    return row ? this.toRun(row) : null;
  }

  async listRuns(sinkId: string, limit = 50): Promise<SinkRunRecord[]> {
    const rows = this.guard(
      () =>
        this.stmt(
          `SELECT ${RUN_COLUMNS} FROM sink_runs WHERE sink_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`,
        ).all(sinkId, limit) as RunRow[],
    );
    return rows.map((r) => this.toRun(r));
  }

  /** The sink's run in progress, after failing one whose process is gone (killed, crashed). */
  private liveRun(sinkId: string): RunRow | undefined {
    const running = this.stmt(`SELECT ${RUN_COLUMNS} FROM sink_runs WHERE sink_id = ? AND status = 'running'`).all(
      sinkId,
    ) as RunRow[];
    for (const r of running) {
      // Only a dead process makes a write-back run stale: an apply sends no heartbeat, and may wait on the rate limit.
      if (isStaleRun({ ...r, heartbeat_at: null }, new Date(), Number.POSITIVE_INFINITY)) {
        this.stmt(`UPDATE sink_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`).run(
          JSON.stringify(staleApplyError()),
          toIso(Date.now()),
          r.id,
        );
      } else return r;
    }
    return undefined;
  }

  protected toModel(row: SinkRow): DataSinkRecord {
    return parseRow(
      DataSinkRecord,
      { ...row, config: parseJsonColumn(row.config, 'config') },
      'destination',
      this.location,
    );
  }

  private toRun(row: RunRow): SinkRunRecord {
    return parseRow(
      SinkRunRecord,
      {
        ...row,
        plan: parseJsonColumn(row.plan, 'plan'),
        report: parseJsonColumn(row.report, 'report'),
        error: parseJsonColumn(row.error, 'error'),
      },
      'write-back run',
      this.location,
    );
  }
}
