// Local sync speed and memory, no rate limit.
//  1. Speed: events synced into SQLite by the engine, against the fastest plain loop we could write that does the
//     same job with the same means — the same transport (node:http with a keep-alive agent, as src/engine/transport.ts),
//     the same one-page read-ahead (the next request is on the wire while a page is committed), the same table (the
//     engine's own CREATE TABLE and upsert for the events stream: 16 typed columns + _record, _synced_at, _source_id)
//     and a checkpoint row per page in the same transaction. The loop has no validation, no pagination checks, no run
//     history, no events: it is the floor. Both run in this process against one simulator process, alternating, so
//     the machine's noise falls on both; per round the ratio of the two and the CPU each spent per event are printed.
//     At the end both tables are compared row by row (all but _synced_at / _source_id): the loop must store exactly
//     what the engine stores, or it would be measuring a different job. Target ≥ 0.8 ×.
//  2. Memory: peak RSS of `snagsync sync` (a child process, measured by /usr/bin/time) for 100,000 and 1,000,000
//     events. Targets: < 250 MB, and the 1M peak ≤ 1.3 × the 100k peak.
// Run: npm run build && npx tsx bench/sync-speed.ts [--events 150000] [--rounds 3] [--skip-memory | --skip-speed] [--memory-max 1000000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRun } from '../src/engine/index.js';
import { BIN, benchHome, startSimProcess, verdict, type SimProcess } from './sync-common.js';
import { plainLoop, type Measured } from './sync-plain.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const EVENTS = Number(arg('events', '150000'));
const ROUNDS = Number(arg('rounds', '3'));
const MEMORY_MAX = Number(arg('memory-max', '1000000'));
const skipMemory = process.argv.includes('--skip-memory');
const skipSpeed = process.argv.includes('--skip-speed');
const TARGET = 0.8;

async function engine(sim: SimProcess, file: string): Promise<Measured> {
  const h = await benchHome(sim);
  try {
    const source = await h.source({
      name: 'speed',
      streams: ['events'],
      events_backfill: 'list',
      destination: `sqlite:${file}`,
    });
    const cpu = process.cpuUsage();
    const run = await startRun(h.runtime, source);
    const s = await run.done;
    const used = process.cpuUsage(cpu);
    if (s.status !== 'succeeded') throw new Error(`engine run ${s.status}: ${s.error?.message}`);
    const events = s.streams.find((x) => x.stream === 'events')!.records_written;
    return { events, ms: s.duration_ms, cpuUsPerEvent: (used.user + used.system) / events };
  } finally {
    await h.cleanup();
  }
}

/**
 * Both tables hold the same rows, column for column (the system columns _synced_at and _source_id aside); `_record`
 * is compared as JSON values (a validating parser may order an object's keys differently).
 */
function sameTables(a: string, b: string): number {
  const db = new Database(a, { readonly: true });
  db.exec(`ATTACH '${b.replace(/'/g, "''")}' AS other`);
  const cols = (db.pragma('table_info(events)') as Array<{ name: string }>)
    .map((c) => c.name)
    .filter((c) => c !== '_synced_at' && c !== '_source_id' && c !== '_run_id');
  const select = (schema: string) =>
    db
      .prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM ${schema}.events ORDER BY project_id, id`)
      .raw()
      .iterate() as IterableIterator<unknown[]>;
  const na = (db.prepare('SELECT count(*) AS n FROM main.events').get() as { n: number }).n;
  const nb = (db.prepare('SELECT count(*) AS n FROM other.events').get() as { n: number }).n;
  if (na !== nb) throw new Error(`the plain loop stored ${na} rows, the engine ${nb}`);
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Row)[k])]),
          )
        : v;
  const record = cols.indexOf('_record');
  const ib = select('other');
  for (const ra of select('main')) {
    const rb = ib.next().value as unknown[];
    for (let i = 0; i < cols.length; i++) {
      const same =
        i === record
          ? JSON.stringify(canonical(JSON.parse(ra[i] as string))) ===
            JSON.stringify(canonical(JSON.parse(rb[i] as string)))
          : ra[i] === rb[i];
      if (!same) {
        ib.return?.();
        throw new Error(
          `the plain loop and the engine stored different values for ${cols[i]} of ${String(ra[1])}: ${String(ra[i])} / ${String(rb[i])}`,
        );
      }
    }
  }
  ib.return?.();
  db.close();
  return na;
}

type Row = Record<string, unknown>;

async function speed() {
  const sim = await startSimProcess({
    orgs: 1,
    projects: 1,
    errors: 200,
    events: EVENTS,
    releases: 1,
    'rate-limit': 1_000_000_000,
  });
  const projectId = (
    (await (await fetch(`${sim.url}/__sim`)).json()) as { organizations: Array<{ projects: Array<{ id: string }> }> }
  ).organizations[0]!.projects[0]!.id;
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-speed-'));
  const rate = (x: Measured) => Math.round(x.events / (x.ms / 1000));
  const rounds: Array<{ plain: Measured; engine: Measured }> = [];
  try {
    // A warm-up of each (JIT, page cache), not counted.
    await plainLoop(sim, projectId, join(dir, 'warm-plain.db'));
    await engine(sim, join(dir, 'warm-engine.db'));
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so neither always follows the other's garbage.
      const p = i % 2 === 0 ? await plainLoop(sim, projectId, join(dir, `plain${i}.db`)) : undefined;
      const e = await engine(sim, join(dir, `engine${i}.db`));
      const plain = p ?? (await plainLoop(sim, projectId, join(dir, `plain${i}.db`)));
      if (plain.events !== e.events || e.events !== EVENTS)
        throw new Error(`events: plain ${plain.events}, engine ${e.events}, simulator ${EVENTS}`);
      rounds.push({ plain, engine: e });
      console.log(
        `round ${i + 1}: engine ${rate(e)} events/s (${e.cpuUsPerEvent.toFixed(1)} µs CPU/event), plain loop ${rate(plain)} events/s ` +
          `(${plain.cpuUsPerEvent.toFixed(1)} µs CPU/event) → ${(rate(e) / rate(plain)).toFixed(2)} × speed, ${(e.cpuUsPerEvent / plain.cpuUsPerEvent).toFixed(2)} × CPU per event`,
      );
    }
    const rows = sameTables(join(dir, 'plain0.db'), join(dir, 'engine0.db'));
    console.log(
      `same data: the plain loop's table and the engine's hold the same ${rows} rows (every column but _synced_at, _source_id, _run_id)`,
    );
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = rounds.map((r) => rate(r.engine) / rate(r.plain)).sort((a, b) => a - b);
  const cpu = rounds.map((r) => r.engine.cpuUsPerEvent / r.plain.cpuUsPerEvent).sort((a, b) => a - b);
  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
  return {
    ratio: median(ratios),
    ratios,
    cpu: median(cpu),
    cpus: cpu,
    engine: median(rounds.map((r) => rate(r.engine)).sort((a, b) => a - b)),
    plain: median(rounds.map((r) => rate(r.plain)).sort((a, b) => a - b)),
  };
}

/** Peak RSS (MB) of `snagsync sync` reading `events` events, in a child process of its own. */
async function peakRss(events: number): Promise<{ mb: number; seconds: number; records: number }> {
  const sim = await startSimProcess({
    orgs: 1,
    projects: 1,
    errors: 500,
    events,
    releases: 1,
    'rate-limit': 1_000_000_000,
  });
  const h = await benchHome(sim);
  try {
    const source = await h.source({
      name: 'mem',
      streams: ['events'],
      events_backfill: 'list',
      destination: `sqlite:${join(h.home, 'mem.db')}`,
    });
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, BIN, 'sync', source, '--json'], {
      env: { ...h.env, SNAGSYNC_PROGRESS: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`sync exited ${code}: ${stderr.slice(-2000)}`);
    const kb = Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1]);
    const summary = JSON.parse(stdout) as { totals: { records_written: number } };
    return {
      mb: Math.round(kb / 1024),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      records: summary.totals.records_written,
    };
  } finally {
    await h.cleanup();
    await sim.close();
  }
}

const result: Record<string, unknown> = { events: EVENTS };
if (!skipSpeed) {
  const s = await speed();
  Object.assign(result, {
    plain_events_per_s: s.plain,
    engine_events_per_s: s.engine,
    ratio: Number(s.ratio.toFixed(2)),
    ratios: s.ratios.map((x) => Number(x.toFixed(2))),
    cpu_per_event_ratio: Number(s.cpu.toFixed(2)),
    cpu_per_event_ratios: s.cpus.map((x) => Number(x.toFixed(2))),
  });
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(
    `speed: engine ${s.engine} events/s, plain loop ${s.plain} events/s (medians) → median of the rounds' ratios ${s.ratio.toFixed(2)} × ` +
      `(rounds: ${fmt(s.ratios)}; target ≥ ${TARGET}) ${verdict(s.ratio >= TARGET)}; CPU per event ${s.cpu.toFixed(2)} × the loop's (rounds: ${fmt(s.cpus)})`,
  );
  process.exitCode = s.ratio >= TARGET ? 0 : 1;
}
if (!skipMemory) {
  const small = await peakRss(100_000);
  console.log(`memory: 100,000 events: peak RSS ${small.mb} MB (${small.records} records in ${small.seconds} s)`);
  const big = await peakRss(MEMORY_MAX);
  console.log(
    `memory: ${MEMORY_MAX.toLocaleString('en')} events: peak RSS ${big.mb} MB (${big.records} records in ${big.seconds} s)`,
  );
  const under = big.mb < 250;
  const flat = big.mb <= 1.3 * small.mb;
  console.log(
    `memory: < 250 MB ${verdict(under)}; ≤ 1.3 × the 100k peak (${(big.mb / small.mb).toFixed(2)} ×) ${verdict(flat)}`,
  );
  if (!under || !flat) process.exitCode = 1;
  Object.assign(result, {
    rss_100k_mb: small.mb,
    [`rss_${MEMORY_MAX}_mb`]: big.mb,
    rss_ratio: Number((big.mb / small.mb).toFixed(2)),
    seconds_big: big.seconds,
  });
}
console.log(JSON.stringify(result));
