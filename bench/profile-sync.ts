// Not a benchmark: one sync of the events stream by the engine or by the plain loop of bench/sync-plain.ts, alone,
// to be profiled. Run: npm run build && node --cpu-prof --cpu-prof-dir /tmp/prof --import tsx bench/profile-sync.ts engine|plain [--events 60000]
import { join } from 'node:path';
import { startRun } from '../src/engine/index.js';
import { benchHome, startSimProcess } from './sync-common.js';
import { plainLoop } from './sync-plain.js';

const which = process.argv[2] === 'plain' ? 'plain' : 'engine';
const i = process.argv.indexOf('--events');
const EVENTS = i >= 0 ? Number(process.argv[i + 1]) : 60000;
const sim = await startSimProcess({
  orgs: 1,
  projects: 1,
  errors: 200,
  events: EVENTS,
  releases: 1,
  'rate-limit': 1_000_000_000,
});
const h = await benchHome(sim);
try {
  if (which === 'plain') {
    const projectId = (
      (await (await fetch(`${sim.url}/__sim`)).json()) as { organizations: Array<{ projects: Array<{ id: string }> }> }
    ).organizations[0]!.projects[0]!.id;
    const m = await plainLoop(sim, projectId, join(h.home, 'prof.db'));
    console.log(`plain: ${m.events} records in ${Math.round(m.ms)} ms, ${m.cpuUsPerEvent.toFixed(1)} µs CPU/event`);
  } else {
    const source = await h.source({
      name: 'prof',
      streams: ['events'],
      events_backfill: 'list',
      destination: `sqlite:${join(h.home, 'prof.db')}`,
    });
    const cpu = process.cpuUsage();
    const s = await (await startRun(h.runtime, source)).done;
    const used = process.cpuUsage(cpu);
    console.log(
      `engine ${s.status}: ${s.totals.records_written} records in ${s.duration_ms} ms, ${((used.user + used.system) / s.totals.records_written).toFixed(1)} µs CPU/event`,
    );
  }
} finally {
  await h.cleanup();
  await sim.close();
}
