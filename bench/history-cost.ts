// What error_history adds to a destination (issue 20, "rows and bytes that history adds per sync on 2,500 errors").
//  1. A source syncs `errors` from a simulator of PROJECTS × ERRORS into SQLite: the first sync opens one interval per
//     error. Its rows and bytes (SQLite's dbstat: the table's pages and its indexes') are set against the errors
//     table's own.
//  2. A sync with nothing changed adds nothing (the same state observed again is not a new interval).
//  3. CHANGED errors are fixed, snoozed or reassigned through the API and the next sync (a full pass) observes them:
//     one interval opened and one closed per change, the bytes that costs.
// Prints a table and one JSON line. Run: npx tsx bench/history-cost.ts [--projects 5] [--errors 500] [--changed 125]
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createBugsnagClient } from '../src/bugsnag/index.js';
import { startRun } from '../src/engine/index.js';
import { startSimulator } from '../src/sim/index.js';
import { benchHome, inProcess } from './sync-common.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const PROJECTS = Number(arg('projects', '5'));
const ERRORS = Number(arg('errors', '500'));
const CHANGED = Number(arg('changed', '125'));

const sim = await startSimulator({
  orgs: 1,
  projects: PROJECTS,
  errors: ERRORS,
  events: 2 * ERRORS,
  releases: 1,
  rateLimit: 1_000_000_000,
  anchor: '2026-01-15T00:00:00Z',
});
const token = sim.tokens.find((t) => t.role === 'admin')!.token;
const projects = sim.info().organizations[0]!.projects;
const h = await benchHome(inProcess(sim));
const file = join(h.home, 'history.db');
// Every sync a full pass (an interval of a second, each sync's `now` a second on), so each sees every change.
const source = await h.source({
  name: 'history',
  streams: ['errors'],
  errors_full_pass_interval: '1s',
  destination: `sqlite:${file}`,
});

let clock = Date.now();
async function sync(): Promise<void> {
  clock += 2000;
  const run = await (await startRun(h.runtime, source, { now: new Date(clock) })).done;
  if (run.status !== 'succeeded') throw new Error(`sync ${run.status}: ${JSON.stringify(run.error)}`);
}

interface Size {
  rows: number;
  bytes: number;
}
function sizes(): { errors: Size; history: Size } {
  const db = new Database(file, { readonly: true });
  try {
    const of = (table: string): Size => {
      const rows = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      // The table's pages and its indexes' (their names start with the table's, as the destination makes them).
      const bytes = (
        db
          .prepare(
            `SELECT COALESCE(SUM(pgsize), 0) AS b FROM dbstat WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?)`,
          )
          .get(table, table) as { b: number }
      ).b;
      return { rows, bytes };
    };
    return { errors: of('errors'), history: of('error_history') };
  } finally {
    db.close();
  }
}

await sync();
const first = sizes();
await sync();
const unchanged = sizes();

// Changes through the API, spread over the projects: fix, snooze (by occurrences), assign.
const api = createBugsnagClient({ token, host: sim.url, logger: false });
const stored = new Database(file, { readonly: true });
const targets = stored
  .prepare(`SELECT project_id, id FROM errors WHERE status = 'open' ORDER BY id LIMIT ?`)
  .all(CHANGED) as Array<{ project_id: string; id: string }>;
stored.close();
const collaborator = (await api.collaborators.listForOrganization(sim.info().organizations[0]!.id).all())[0];
for (const [i, t] of targets.entries()) {
  const op = i % 3;
  if (op === 0) await api.errors.update(t.project_id, t.id, { operation: 'fix' });
  else if (op === 1)
    await api.errors.update(t.project_id, t.id, {
      operation: 'snooze',
      reopen_rules: { reopen_if: 'n_additional_occurrences', additional_occurrences: 100 },
    });
  else if (collaborator)
    await api.errors.update(t.project_id, t.id, { operation: 'assign', assigned_collaborator_id: collaborator.id });
}
await sync();
const changed = sizes();

const per = (bytes: number, rows: number) => (rows === 0 ? 0 : Math.round(bytes / rows));
const out = {
  errors: PROJECTS * ERRORS,
  projects: projects.length,
  first_sync: {
    history_rows: first.history.rows,
    history_bytes: first.history.bytes,
    errors_bytes: first.errors.bytes,
    history_share_of_errors: Number((first.history.bytes / first.errors.bytes).toFixed(3)),
    bytes_per_interval: per(first.history.bytes, first.history.rows),
  },
  unchanged_sync: {
    rows_added: unchanged.history.rows - first.history.rows,
    bytes_added: unchanged.history.bytes - first.history.bytes,
  },
  changed_sync: {
    changes: targets.length,
    rows_added: changed.history.rows - unchanged.history.rows,
    bytes_added: changed.history.bytes - unchanged.history.bytes,
  },
};
console.log(`errors ${out.errors} in ${out.projects} projects (SQLite, dbstat pages of the table and its indexes)`);
console.log(
  `first sync        history ${first.history.rows} rows, ${first.history.bytes.toLocaleString('en-US')} bytes (errors table ${first.errors.bytes.toLocaleString('en-US')}: ${(100 * out.first_sync.history_share_of_errors).toFixed(1)} %)`,
);
console.log(`nothing changed   +${out.unchanged_sync.rows_added} rows, +${out.unchanged_sync.bytes_added} bytes`);
console.log(
  `${targets.length} changed       +${out.changed_sync.rows_added} rows, +${out.changed_sync.bytes_added.toLocaleString('en-US')} bytes (pages grow in 4 KiB steps)`,
);
console.log(JSON.stringify(out));
await h.cleanup();
await sim.close();
process.exitCode = out.unchanged_sync.rows_added === 0 && out.changed_sync.rows_added === targets.length ? 0 : 1;
