// The Overview's figures read from a SQLite destination holding many events: the time of destinationFigures (events
// per project and day over the charted window, one GROUP BY), cold (first read) and the median of repeated reads
// once the file changed (the cache is keyed by the file's size and time, so each read after a write is a real one).
// Run: npx tsx bench/overview.ts [--events 1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDestination } from '../src/destinations/index.js';
import { descriptorOf, getStream } from '../src/streams/catalog.js';
import { destinationFigures } from '../src/server/overview/aggregate.js';

const arg = process.argv.indexOf('--events');
const EVENTS = arg >= 0 ? Number(process.argv[arg + 1]) : 1_000_000;
const PROJECTS = 4;
const DAYS = 30;
const PAGE = 10_000;
const END = Date.parse('2026-01-15T23:59:59Z');

const dir = mkdtempSync(join(tmpdir(), 'snagsync-overview-'));
const url = `sqlite:${join(dir, 'bugsnag.db')}`;
try {
  const dest = await openDestination(url);
  await dest.prepare([descriptorOf(getStream('events'))]);
  // Spread over DAYS calendar days ending on END's day: the whole charted window.
  const spacing = ((DAYS - 1) * 86_400_000) / EVENTS;
  for (let start = 0; start < EVENTS; start += PAGE) {
    const records = [];
    for (let n = start; n < Math.min(start + PAGE, EVENTS); n++) {
      records.push({
        project_id: `p${n % PROJECTS}`,
        id: `e${n}`,
        error_id: `err${n % 500}`,
        received_at: new Date(END - n * spacing).toISOString(),
        severity: 'error',
        unhandled: n % 3 === 0,
      });
    }
    await dest.writePage('events', records, { sourceId: 'src_bench', partition: '', state: { n: start } });
  }
  await dest.close();

  const time = async () => {
    const started = performance.now();
    const f = await destinationFigures(url);
    const ms = performance.now() - started;
    const counted = (f.events ?? []).reduce((n, r) => n + r.value, 0);
    if (counted !== EVENTS) throw new Error(`counted ${counted} events, expected ${EVENTS}`);
    return ms;
  };
  const cold = await time();
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    // Touch the file so the cache does not answer: every read below groups the table again.
    const d = await openDestination(url);
    await d.prepare([descriptorOf(getStream('events'))]);
    await d.writePage('events', [], { sourceId: 'src_bench', partition: '', state: { touch: i } });
    await d.close();
    warm.push(await time());
  }
  const median = [...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)]!;
  console.log(
    `overview: ${EVENTS.toLocaleString('en')} events in SQLite, ${PROJECTS} projects × ${DAYS} days: first read ${Math.round(cold)} ms, then median ${Math.round(median)} ms`,
  );
  console.log(JSON.stringify({ events: EVENTS, first_ms: Math.round(cold), median_ms: Math.round(median) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
