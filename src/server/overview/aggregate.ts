import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toSnagError } from '../../core/errors.js';
import { committedLines } from '../../destinations/jsonl/lines.js';
import { readState } from '../../destinations/jsonl/state.js';
import { parseDestinationUrl } from '../../destinations/url.js';
import { postgresFigures } from './postgres.js';
import { WINDOW_DAYS } from './series.js';

/**
 * The figures behind the Overview charts, read from a source's destination — the synced data, not Bugsnag:
 *  - events per UTC day per project (the `events` stream, by `received_at`);
 *  - crash-free sessions per day per project (the `stability_trend` stream: 1 − unhandled_rate, weighted by
 *    sessions when a day has several buckets).
 * SQLite (and PostgreSQL, postgres.ts): a `GROUP BY` per chart over the typed columns, on a connection that cannot write (a million events in the
 * window take about 0.75 s: bench/overview.ts). JSONL: the committed part of each file is streamed line by line, keeping only counts (and the
 * keys, since the last line for a key is its current version); a very large file is skipped with a note. Results
 * are cached until the file changes.
 */

export interface DayCount {
  project: string;
  day: string;
  value: number;
}

export interface DestinationFigures {
  kind: 'sqlite' | 'jsonl' | 'postgres';
  /** Events per project and day (null: no events table or file). */
  events: DayCount[] | null;
  /** Crash-free sessions (0–1) per project and day (null: no stability_trend). */
  stability: DayCount[] | null;
  /** Project id → name (from the synced projects, when there are any). */
  projectNames: Map<string, string>;
  /** Something the reader should know (a JSONL file too large to chart). */
  notes: string[];
}

/** JSONL files above this are not charted: reading them on every page view would make the page slow. */
export const JSONL_CHART_LIMIT_BYTES = 256 * 1024 * 1024;

const cache = new Map<string, { signature: string; figures: DestinationFigures }>();

export async function destinationFigures(destination: string): Promise<DestinationFigures> {
  const target = parseDestinationUrl(destination);
  // No file to watch for changes: the server answers the two GROUP BYs each time.
  if (target.kind === 'postgres') return postgresFigures(target, WINDOW_DAYS);
  const signature = target.kind === 'sqlite' ? sqliteSignature(target.path) : jsonlSignature(target.dir);
  const hit = cache.get(destination);
  if (hit && hit.signature === signature) return hit.figures;
  const figures = target.kind === 'sqlite' ? sqliteFigures(target.path) : await jsonlFigures(target.dir);
  cache.set(destination, { signature, figures });
  return figures;
}

/** The first day of the charted window that ends on the day of `lastIso` (as `YYYY-MM-DD`, which sorts before any time that day). */
function windowStart(lastIso: string): string | null {
  const end = Date.parse(`${lastIso.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(end) ? null : new Date(end - (WINDOW_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
}

function fileSignature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return '-';
  }
}

function sqliteSignature(path: string): string {
  return `${fileSignature(path)}|${fileSignature(`${path}-wal`)}`;
}

function jsonlSignature(dir: string): string {
  return ['_state.json', 'events.jsonl', 'stability_trend.jsonl', 'projects.jsonl']
    .map((f) => fileSignature(join(dir, f)))
    .join('|');
}

function empty(kind: 'sqlite' | 'jsonl'): DestinationFigures {
  return { kind, events: null, stability: null, projectNames: new Map(), notes: [] };
}

function sqliteFigures(path: string): DestinationFigures {
  if (!existsSync(path)) return empty('sqlite');
  const db = new Database(path, { fileMustExist: true, timeout: 2000 });
  try {
    // A sync may be writing: reading never blocks it (WAL), and this connection can never write.
    db.pragma('query_only = ON');
    const has = (table: string, ...columns: string[]) => {
      const info = db.pragma(`table_info("${table}")`) as Array<{ name: string }>;
      return info.length > 0 && columns.every((c) => info.some((i) => i.name === c));
    };
    const out = empty('sqlite');
    if (has('events', 'project_id', 'received_at')) {
      // Only the charted window is grouped: the newest day first (a pass of about 0.1 s for a million events), then
      // the days of the window. History older than the window costs the scan but not the grouping.
      const last = (db.prepare('SELECT max(received_at) AS m FROM events').get() as { m: string | null }).m;
      const start = last ? windowStart(last) : null;
      out.events = start
        ? (
            db
              .prepare(
                `SELECT project_id AS project, substr(received_at, 1, 10) AS day, count(*) AS value FROM events
                 WHERE received_at >= ? GROUP BY day, project_id`,
              )
              .all(start) as DayCount[]
          ).filter((r) => typeof r.project === 'string')
        : [];
    }
    if (has('stability_trend', 'project_id', 'bucket_start', 'unhandled_rate', 'total_sessions_count')) {
      const rows = db
        .prepare(
          `SELECT project_id AS project, substr(bucket_start, 1, 10) AS day,
                  sum(CASE WHEN total_sessions_count > 0 AND unhandled_rate IS NOT NULL THEN total_sessions_count * unhandled_rate END) AS weighted,
                  sum(CASE WHEN total_sessions_count > 0 AND unhandled_rate IS NOT NULL THEN total_sessions_count END) AS sessions,
                  avg(unhandled_rate) AS rate
           FROM stability_trend WHERE bucket_start IS NOT NULL GROUP BY project_id, day`,
        )
        .all() as Array<{
        project: string;
        day: string;
        weighted: number | null;
        sessions: number | null;
        rate: number | null;
      }>;
      out.stability = rows.flatMap((r) => {
        const unhandled = r.sessions ? (r.weighted ?? 0) / r.sessions : r.rate;
        return unhandled === null ? [] : [{ project: r.project, day: r.day, value: 1 - unhandled }];
      });
    }
    if (has('projects', 'id', 'name')) {
      for (const r of db.prepare('SELECT id, name FROM projects WHERE name IS NOT NULL').all() as Array<{
        id: string;
        name: string;
      }>)
        out.projectNames.set(r.id, r.name);
    }
    return out;
  } finally {
    db.close();
  }
}

async function jsonlFigures(dir: string): Promise<DestinationFigures> {
  const out = empty('jsonl');
  const state = readState(dir);
  if (!state) return out;
  const committed = (stream: string) => {
    const s = state.streams[stream];
    return s ? { path: join(dir, s.file), bytes: s.bytes } : null;
  };
  const events = committed('events');
  if (events) {
    if (events.bytes > JSONL_CHART_LIMIT_BYTES) {
      out.notes.push(
        `events.jsonl holds ${Math.round(events.bytes / 1024 / 1024)} MB: too much to chart on every page view. Sync into SQLite to chart it.`,
      );
    } else {
      // The last line of a key is its current version: count each (project, id) once, on the day of its last line.
      const latest = new Map<string, { project: string; day: string }>();
      await eachRecord(events.path, events.bytes, (r) => {
        if (typeof r.project_id === 'string' && typeof r.id === 'string' && typeof r.received_at === 'string') {
          latest.set(`${r.project_id}\u0000${r.id}`, { project: r.project_id, day: r.received_at.slice(0, 10) });
        }
      });
      out.events = countDays([...latest.values()]);
    }
  }
  const stability = committed('stability_trend');
  if (stability) {
    const latest = new Map<string, { project: string; day: string; sessions: number; rate: number | null }>();
    await eachRecord(stability.path, stability.bytes, (r) => {
      if (typeof r.project_id === 'string' && typeof r.bucket_start === 'string') {
        latest.set(`${r.project_id}\u0000${r.bucket_start}`, {
          project: r.project_id,
          day: r.bucket_start.slice(0, 10),
          sessions: typeof r.total_sessions_count === 'number' ? r.total_sessions_count : 0,
          rate: typeof r.unhandled_rate === 'number' ? r.unhandled_rate : null,
        });
      }
    });
    const byDay = new Map<
      string,
      { project: string; day: string; weighted: number; sessions: number; rates: number[] }
    >();
    for (const p of latest.values()) {
      if (p.rate === null) continue;
      const k = `${p.project}\u0000${p.day}`;
      const acc = byDay.get(k) ?? { project: p.project, day: p.day, weighted: 0, sessions: 0, rates: [] };
      if (p.sessions > 0) {
        acc.weighted += p.sessions * p.rate;
        acc.sessions += p.sessions;
      }
      acc.rates.push(p.rate);
      byDay.set(k, acc);
    }
    out.stability = [...byDay.values()].map((a) => ({
      project: a.project,
      day: a.day,
      value: 1 - (a.sessions > 0 ? a.weighted / a.sessions : a.rates.reduce((x, y) => x + y, 0) / a.rates.length),
    }));
  }
  const projects = committed('projects');
  if (projects) {
    await eachRecord(projects.path, projects.bytes, (r) => {
      if (typeof r.id === 'string' && typeof r.name === 'string') out.projectNames.set(r.id, r.name);
    });
  }
  return out;
}

function countDays(items: ReadonlyArray<{ project: string; day: string }>): DayCount[] {
  const counts = new Map<string, DayCount>();
  for (const i of items) {
    const k = `${i.project}\u0000${i.day}`;
    const c = counts.get(k);
    if (c) c.value++;
    else counts.set(k, { project: i.project, day: i.day, value: 1 });
  }
  return [...counts.values()];
}

/** The committed part of a JSONL file (bytes past it belong to a sync in progress), a record at a time. */
async function eachRecord(path: string, bytes: number, fn: (record: Record<string, unknown>) => void): Promise<void> {
  if (bytes <= 0 || !existsSync(path)) return;
  for await (const line of committedLines(path, bytes)) {
    try {
      fn(JSON.parse(line) as Record<string, unknown>);
    } catch (err) {
      throw toSnagError(err);
    }
  }
}
