// The plain loop bench/sync-speed.ts measures the engine against (see there); also run alone by
// bench/profile-sync.ts. Exactly the engine's job for the events stream, with nothing around it.
import http from 'node:http';
import Database from 'better-sqlite3';
import { compileStream } from '../src/destinations/descriptor.js';
import { createTableSql, STATE_DDL, STATE_TABLE, upsertSql } from '../src/destinations/sqlite/schema.js';
import { descriptorOf, getStream } from '../src/streams/catalog.js';
import type { SimProcess } from './sync-common.js';

export interface Measured {
  events: number;
  ms: number;
  /** CPU time of this process (user + system) per event, in µs: the simulator runs in its own process. */
  cpuUsPerEvent: number;
}

type Row = Record<string, unknown>;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string, token: string): Promise<{ rows: Row[]; next: string | null }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent, headers: { Authorization: `token ${token}`, 'X-Version': '2', 'accept-encoding': 'gzip, deflate, br' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} for ${url}`));
          if (res.headers['content-encoding'])
            return reject(new Error('the plain loop does not decode compressed answers'));
          const m = /<([^>]+)>\s*;\s*rel="next"/.exec(String(res.headers.link ?? ''));
          resolve({ rows: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Row[], next: m ? m[1]! : null });
        });
      },
    );
    req.once('error', reject);
  });
}

const str = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
const bool = (v: unknown) => (v === undefined || v === null ? null : v ? 1 : 0);
const sub = (v: unknown, k: string) => (v !== null && typeof v === 'object' ? (v as Row)[k] : undefined);

/** The plain loop: fetch a page (the next one already requested), upsert its rows and a checkpoint, commit, repeat. */
export async function plainLoop(sim: SimProcess, projectId: string, file: string): Promise<Measured> {
  const token = sim.tokens.find((t) => t.role === 'admin')!.token;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const compiled = compileStream(descriptorOf(getStream('events')));
  db.exec(STATE_DDL);
  db.exec(createTableSql(compiled));
  const names = compiled.columns.map((c) => c.name).join(',');
  if (
    names !==
    'project_id,id,error_id,received_at,error_class,message,severity,unhandled,context,release_stage,app_version,is_full_report,user_id,user_email,os_name,browser_name'
  ) {
    throw new Error(`the events columns changed (${names}): update the plain loop's column list`);
  }
  const upsert = db.prepare(upsertSql(compiled));
  const state = db.prepare(
    `INSERT INTO ${STATE_TABLE} (source_id, stream, partition, state, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (source_id, stream, partition) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  );
  const partition = `project:${projectId}`;
  const page = db.transaction((rows: Row[], next: string | null) => {
    const now = new Date().toISOString();
    for (const e of rows) {
      const first = (e.exceptions as Row[] | undefined)?.[0];
      // The record is the API's row plus project_id; error_class and message fall back to the first exception in
      // their typed columns only (as the events stream's columns do).
      const r: Row = { ...e, project_id: projectId };
      const errorClass = e.error_class ?? first?.errorClass ?? first?.error_class ?? null;
      const message = e.message ?? first?.message ?? null;
      const app = r.app;
      const user = r.user;
      const device = r.device;
      upsert.run(
        projectId,
        r.id,
        str(r.error_id),
        str(r.received_at ?? r.receivedAt),
        str(errorClass),
        str(message),
        str(r.severity),
        bool(r.unhandled),
        str(r.context),
        str(sub(app, 'releaseStage')),
        str(sub(app, 'version')),
        bool(r.is_full_report),
        str(sub(user, 'id')),
        str(sub(user, 'email')),
        str(sub(device, 'osName')),
        str(sub(device, 'browserName')),
        JSON.stringify(r),
        now,
        'plain',
        null, // _run_id
      );
    }
    state.run('plain', 'events', partition, JSON.stringify({ nextUrl: next }), now);
  });
  let events = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let pending: ReturnType<typeof get> | null = get(
    `${sim.url}/projects/${projectId}/events?per_page=30&base=2026-01-15T00:00:00Z`,
    token,
  );
  while (pending) {
    const { rows, next }: { rows: Row[]; next: string | null } = await pending;
    pending = next ? get(next, token) : null;
    pending?.catch(() => undefined);
    page.immediate(rows, next);
    events += rows.length;
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  db.close();
  return { events, ms, cpuUsPerEvent: (used.user + used.system) / events };
}
