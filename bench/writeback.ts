// Write-back requests per 1,000 rows: the bulk apply (rows with the same project, operation and parameters share a
// PATCH of up to 100 errors) against the fair baseline of one PATCH per error (what a one-error-at-a-time tool does),
// measured in the same run on the same simulator data. Reads (the plan's state check) are reported separately.
// Run: npx tsx bench/writeback.ts [--rows 3000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openRuntime } from '../src/runtime.js';
import { newCredentialId } from '../src/store/index.js';
import { startSimulator } from '../src/sim/index.js';
import { prepareWriteback } from '../src/writeback/index.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : 3000;
const PROJECTS = 3;
const perProject = Math.ceil(ROWS / PROJECTS);

const sim = await startSimulator({
  anchor: '2026-01-15T00:00:00Z',
  rateLimit: 1_000_000,
  errors: perProject,
  events: perProject * 10,
});
const home = mkdtempSync(join(tmpdir(), 'snagsync-bench-wb-'));
const env = { ...process.env, SNAGSYNC_HOME: home, SNAGSYNC_MASTER_KEY: randomBytes(32).toString('base64') };
const rt = openRuntime({ env, home });
try {
  const t = sim.tokens.find((x) => x.role === 'admin')!;
  const id = newCredentialId();
  await rt.store.credentials.create({
    id,
    name: 'bench',
    host: sim.url,
    ...(await rt.vault.seal(id, t.token)),
    verified_status: 'VERIFIED',
    verified_at: new Date(),
    organizations: [],
  });
  const projects = sim
    .info()
    .organizations.flatMap((o) => o.projects.map((p) => p.id))
    .slice(0, PROJECTS);
  const ids = async (p: string): Promise<string[]> => {
    const out: string[] = [];
    let url: string | null = `${sim.url}/projects/${p}/errors?per_page=100&sort=unsorted`;
    while (url && out.length < perProject) {
      const res: Response = await fetch(url, { headers: { Authorization: `token ${t.token}`, 'X-Version': '2' } });
      out.push(...((await res.json()) as Array<{ id: string }>).map((e) => e.id));
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
    }
    return out.slice(0, perProject);
  };
  const all: Array<{ project_id: string; id: string }> = [];
  for (const p of projects) for (const e of await ids(p)) all.push({ project_id: p, id: e });
  const rows = all.slice(0, ROWS);

  const measure = async (operation: string, batchSize: number | undefined) => {
    const path = join(home, `${operation}-${batchSize ?? 'bulk'}.jsonl`);
    writeFileSync(
      path,
      rows.map((r) => JSON.stringify({ project_id: r.project_id, error_id: r.id, operation })).join('\n'),
    );
    sim.resetStats();
    const started = performance.now();
    const s = await prepareWriteback(rt, 'bench', path, batchSize ? { batchSize } : {});
    const reads = sim.stats().requests;
    const report = await s.apply();
    const ms = performance.now() - started;
    const writes = sim.stats().requests - reads;
    if (report.totals.failed) throw new Error(`${report.totals.failed} rows failed`);
    return { writes, reads, ms, applied: report.totals.applied };
  };
  // Same rows, same starting state for both: the bulk run fixes, the baseline ignores (both change every error).
  const bulk = await measure('fix', undefined);
  const single = await measure('ignore', 1);
  const per1k = (n: number) => Math.round((n / ROWS) * 1000 * 10) / 10;
  const result = {
    rows: ROWS,
    projects: PROJECTS,
    bulk: {
      writes_per_1000_rows: per1k(bulk.writes),
      reads_per_1000_rows: per1k(bulk.reads),
      ms: Math.round(bulk.ms),
      applied: bulk.applied,
    },
    one_patch_per_error: {
      writes_per_1000_rows: per1k(single.writes),
      reads_per_1000_rows: per1k(single.reads),
      ms: Math.round(single.ms),
      applied: single.applied,
    },
    write_ratio: Math.round((single.writes / Math.max(1, bulk.writes)) * 10) / 10,
  };
  console.log(
    `${ROWS} rows over ${PROJECTS} projects: bulk ${result.bulk.writes_per_1000_rows} writes / 1,000 rows; one PATCH per error ${result.one_patch_per_error.writes_per_1000_rows} (${result.write_ratio}× more); plan reads ${result.bulk.reads_per_1000_rows} / 1,000 rows`,
  );
  console.log(JSON.stringify(result));
} finally {
  await rt.close();
  await sim.close();
  rmSync(home, { recursive: true, force: true });
}
